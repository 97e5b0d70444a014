"""Reading on any screen: phone widths, the compact header and its menu, the table of
contents at every width, touch targets, the theme before first paint, visible focus."""

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from tests.browser import (
    VIEWPORTS,
    chromium_browser,
    chromium_page,
    set_up_main_pages,
    signed_in_context,
)
from tests.factories import make_maintainer, make_section, make_topic

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
OPEN_EVERY_DETAILS = "document.querySelectorAll('details').forEach((d) => { d.open = true; })"
PAGE_WIDTH = "document.documentElement.scrollWidth"
HEADER_HEIGHT = "document.querySelector('.site-header').getBoundingClientRect().height"
BODY = """\
Intro.

## Wide things

| Compiler | Flags | Notes |
| --- | --- | --- |
| gcc 14 | `sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08` | pinned |

```c
static inline __m256d add(__m256d left, __m256d right) { return _mm256_add_pd(left, right); }
```

## Later

More text.
"""


def phone(width: int = 390) -> dict:
    return {"width": width, "height": 844}


@pytest.fixture
def topic():
    section = make_section(title="Key issues", slug="key-issues")
    make_topic(slug="other", title="Another topic", section=section)
    return make_topic(slug="wide", title="Wide things", section=section, body=BODY)


def contrast(one: str, other: str) -> float:
    """WCAG contrast of two CSS rgb()/rgba() colours (alpha ignored)."""

    def luminance(colour: str) -> float:
        channels = [int(float(c)) / 255 for c in colour[colour.index("(") + 1 : -1].split(",")[:3]]
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(one), luminance(other)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.corpus
@pytest.mark.parametrize("width", [360, 390])
def test_every_main_page_fits_a_phone_under_a_compact_header(live_server, width):
    pages, sessions = set_up_main_pages()
    problems = []
    with chromium_browser() as browser:
        contexts = {
            who: signed_in_context(
                browser, live_server.url, sessions.get(who), viewport=phone(width)
            )
            for who in ("reader", "stakeholder", "editor")
        }
        tabs = {
            who: context.new_page() for who, context in contexts.items()
        }  # one tab each: set_up_main_pages
        for main_page in pages:
            page = tabs[main_page.who]
            page.goto(main_page.path)
            header = page.evaluate(HEADER_HEIGHT)
            if header > 60:
                problems.append(f"{main_page.path}: the header is {header:.0f} px tall")
            closed = page.evaluate(PAGE_WIDTH)
            page.evaluate(OPEN_EVERY_DETAILS)
            opened = page.evaluate(PAGE_WIDTH)
            if max(closed, opened) > width:
                problems.append(
                    f"{main_page.path}: {closed} px wide ({opened} px with every block open)"
                )
    print(f"{len(pages)} pages at {width} px: {len(problems)} problems")
    assert not problems, "\n".join(problems)


def test_wide_tables_and_code_scroll_in_their_own_labelled_focusable_region(live_server, topic):
    with chromium_page(viewport=phone()) as page:
        page.goto(f"{live_server.url}/topics/wide/")
        assert page.evaluate(PAGE_WIDTH) <= 390
        for region in (
            page.get_by_role("region", name="Table 1"),
            page.get_by_role("region", name="Code block 1"),
        ):
            assert region.evaluate("(e) => e.scrollWidth > e.clientWidth"), "it does not scroll"
            for _ in range(40):  # a keyboard reaches it with Tab...
                page.keyboard.press("Tab")
                if region.evaluate("(e) => e === document.activeElement"):
                    break
            expect(region).to_be_focused()
            page.keyboard.press("ArrowRight")  # ...and scrolls it with the arrow keys
            page.wait_for_function("(e) => e.scrollLeft > 0", arg=region.element_handle())


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_the_phone_header_menu_opens_without_javascript(live_server, topic, javascript):
    with chromium_page(viewport=phone(), java_script_enabled=javascript) as page:
        page.goto(f"{live_server.url}/topics/wide/")
        references = page.get_by_role("link", name="References")
        expect(references).to_be_hidden()
        page.get_by_text("Menu", exact=True).click()
        expect(references).to_be_visible()
        expect(page.get_by_role("link", name="Sign up")).to_be_visible()
        expect(page.get_by_role("searchbox", name="Search")).to_be_visible()
        references.click()
        page.wait_for_url("**/references/")


@pytest.mark.parametrize(
    ("width", "where"),
    [(1280, "column"), (1000, "disclosure"), (390, "disclosure")],
)
def test_the_table_of_contents_is_at_hand_at_every_width_without_javascript(
    live_server, topic, width, where
):
    viewport = {"width": width, "height": 800}
    with chromium_page(viewport=viewport, java_script_enabled=False) as page:
        page.goto(f"{live_server.url}/topics/wide/")
        heading = page.get_by_role("heading", level=1)
        if where == "column":
            toc = page.get_by_role("complementary", name="On this page")
            expect(toc.get_by_role("link", name="Later")).to_be_visible()
            return
        on_this_page = page.locator("summary", has_text="On this page")
        expect(on_this_page).to_be_visible()
        # At the top of the article: above its title.
        assert on_this_page.bounding_box()["y"] < heading.bounding_box()["y"]
        on_this_page.click()
        page.locator(".toc-tool").get_by_role("link", name="Later").click()
        page.wait_for_url("**/topics/wide/#later")


def test_on_a_phone_the_topics_are_a_disclosure_at_the_top_of_the_article(live_server, topic):
    with chromium_page(viewport=phone(), java_script_enabled=False) as page:
        page.goto(f"{live_server.url}/topics/wide/")
        topics = page.locator("main").get_by_text("Topics", exact=True)
        assert topics.bounding_box()["y"] < page.get_by_role("heading", level=1).bounding_box()["y"]
        nav = page.get_by_role("navigation", name="Topics")
        expect(nav).to_be_hidden()
        topics.click()
        nav.get_by_role("link", name="Another topic").click()
        page.wait_for_url("**/topics/other/")


def test_controls_on_a_phone_are_at_least_44_px_tall(live_server, topic):
    selector = (
        ".site-header button, .site-menu > summary, .menu-panel a, .menu-panel button,"
        " .menu-panel input, .page-tool > summary, .page-tool a, .topic-actions a, main button,"
        " main input:not([type=hidden]):not([type=radio]):not([type=checkbox]), main select"
    )
    with chromium_page(viewport=phone()) as page:
        page.goto(f"{live_server.url}/topics/wide/")
        page.locator(".page-tool > summary").first.click()
        page.locator(".page-tool > summary").last.click()
        page.get_by_text("Menu", exact=True).click()
        small = page.evaluate(
            """(selector) => [...document.querySelectorAll(selector)]
                .filter((e) => e.getClientRects().length)
                .map((e) => [e.textContent.trim().slice(0, 30), e.getBoundingClientRect().height])
                .filter(([, height]) => height < 44)""",
            selector,
        )
        checked = page.locator(selector).count()
    assert checked > 15
    assert not small, small


def test_a_saved_dark_theme_is_applied_before_the_page_is_drawn(live_server, topic):
    with chromium_browser() as browser:
        context = browser.new_context(color_scheme="light")
        context.add_init_script(
            """
            try { localStorage.setItem("kb-theme", "dark"); } catch (e) {}
            new MutationObserver((changes, observer) => {
              if (document.body) {
                window.themeAtFirstBody = document.documentElement.getAttribute("data-theme");
                observer.disconnect();
              }
            }).observe(document, {childList: true, subtree: true});
            """
        )
        page = context.new_page()
        page.goto(f"{live_server.url}/topics/wide/")
        assert page.evaluate("window.themeAtFirstBody") == "dark"


def test_the_theme_button_says_which_theme_is_on(live_server, topic):
    with chromium_page(color_scheme="light", viewport=VIEWPORTS["desktop"]) as page:
        page.goto(f"{live_server.url}/topics/wide/")
        button = page.get_by_role("button", name="Switch between light and dark theme")
        expect(button).to_have_accessible_name("Switch between light and dark theme, now light")
        button.click()
        expect(button).to_have_accessible_name("Switch between light and dark theme, now dark")
        page.reload()
        expect(button).to_have_accessible_name("Switch between light and dark theme, now dark")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_focus_rings_and_form_borders_stand_out_at_3_to_1(live_server, topic, scheme):
    with chromium_page(color_scheme=scheme, viewport=VIEWPORTS["desktop"]) as page:
        page.goto(f"{live_server.url}/topics/wide/")
        found = []
        for selector, background in (
            (".site-header .site-links a", ".site-header"),
            ("main .topic-actions a", "body"),
            (".site-header input[type=search]", ".site-header"),
        ):
            element = page.locator(selector).first
            element.focus()
            page.keyboard.press("Shift+Tab")
            page.keyboard.press("Tab")
            expect(element).to_be_focused()
            ring = element.evaluate("(e) => getComputedStyle(e).outlineColor")
            behind = page.locator(background).first.evaluate(
                "(e) => getComputedStyle(e).backgroundColor"
            )
            found.append((selector, "focus ring", contrast(ring, behind)))
        page.goto(f"{live_server.url}/search/")
        field = page.locator("main input[type=search]")
        border = field.evaluate("(e) => getComputedStyle(e).borderTopColor")
        behind = field.evaluate("(e) => getComputedStyle(e).backgroundColor")
        found.append(("search field", "border", contrast(border, behind)))
        page_background = page.locator("body").evaluate(
            "(e) => getComputedStyle(e).backgroundColor"
        )
        found.append(("search field", "border on the page", contrast(border, page_background)))
        button = page.locator("main button[type=submit]")
        border = button.evaluate("(e) => getComputedStyle(e).borderTopColor")
        found.append(("search button", "border on the page", contrast(border, page_background)))
    weak = [item for item in found if item[2] < 3]
    assert not weak, weak


def test_a_maintainers_header_is_one_row_on_a_desktop(live_server, topic):
    client = Client()
    client.force_login(make_maintainer("maud"))
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    with chromium_browser() as browser:
        context = signed_in_context(
            browser, live_server.url, session, viewport=VIEWPORTS["desktop"]
        )
        page = context.new_page()
        page.goto("/topics/wide/")
        for name in ("Recent changes", "Review", "Admin", "Propose a topic", "My contributions"):
            expect(page.locator("header").get_by_role("link", name=name)).to_be_visible()
        assert page.evaluate(HEADER_HEIGHT) <= 60
