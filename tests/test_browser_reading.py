"""Reading in a real browser: tabs, collapsible blocks and theme images behave."""

import pytest
from django.core.files.base import ContentFile

from tests.browser import chromium_page
from tests.factories import make_topic, png_bytes
from topics.models import Image

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

BODY = """\
=== "First tab"

    Content of the first tab.

=== "Second tab"

    Content of the second tab.

??? note "Open me"
    Hidden until opened.

![light](/media/uploads/light.png#only-light)
![dark](/media/uploads/dark.png#only-dark)
"""


@pytest.fixture
def topic():
    for name in ("light", "dark"):
        image = Image()
        image.file.save(f"{name}.png", ContentFile(png_bytes()), save=True)
    return make_topic(slug="tabs", title="Tabs", body=BODY)


def test_tabs_switch_and_collapsible_blocks_open(live_server, topic):
    with chromium_page() as page:
        page.goto(f"{live_server.url}/topics/tabs/")
        first = page.get_by_text("Content of the first tab.")
        second = page.get_by_text("Content of the second tab.")
        assert first.is_visible() and not second.is_visible()
        page.get_by_text("Second tab", exact=True).click()
        assert second.is_visible() and not first.is_visible()
        hidden = page.get_by_text("Hidden until opened.")
        assert not hidden.is_visible()
        page.get_by_text("Open me").click()
        assert hidden.is_visible()


@pytest.mark.parametrize(
    ("scheme", "shown", "hidden"), [("light", "light", "dark"), ("dark", "dark", "light")]
)
def test_theme_images_follow_the_readers_colour_scheme(live_server, topic, scheme, shown, hidden):
    with chromium_page(color_scheme=scheme) as page:
        page.goto(f"{live_server.url}/topics/tabs/")
        assert page.get_by_alt_text(shown).is_visible()
        assert not page.get_by_alt_text(hidden).is_visible()


def test_theme_switch_overrides_the_system_setting(live_server, topic):
    with chromium_page(color_scheme="light") as page:
        page.goto(f"{live_server.url}/topics/tabs/")
        page.get_by_role("button", name="Switch between light and dark theme").click()
        assert page.get_by_alt_text("dark").is_visible()
        page.reload()
        assert page.get_by_alt_text("dark").is_visible()
