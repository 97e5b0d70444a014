"""The one renderer: MkDocs Material features, and no way to smuggle script through it."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from topics.markdown import MarkdownError, check_renderable, render, sanitise

FORBIDDEN_TAGS = {
    "script",
    "iframe",
    "object",
    "embed",
    "style",
    "link",
    "meta",
    "base",
    "form",
    "svg",
    "math",
    "textarea",
    "button",
    "select",
    "frame",
    "frameset",
    "applet",
    "video",
    "audio",
    "source",
    "template",
    "noscript",
}
URL_ATTRIBUTES = {"href", "src", "srcset", "action", "formaction", "xlink:href", "poster"}


class _Elements(HTMLParser):
    """Collect every element and its attributes, as a browser would see them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, {name: value or "" for name, value in attrs}))

    handle_startendtag = handle_starttag


def assert_safe(output: str) -> None:
    parser = _Elements()
    parser.feed(output)
    parser.close()
    for tag, attributes in parser.elements:
        assert tag not in FORBIDDEN_TAGS, (tag, output[:300])
        for name, value in attributes.items():
            assert not name.startswith("on"), (tag, name, output[:300])
            assert name != "style", (tag, output[:300])
            if name in URL_ATTRIBUTES:
                # Browsers ignore whitespace and control characters inside a scheme.
                compact = re.sub(r"[\x00-\x20]", "", value).lower()
                assert not compact.startswith(("javascript:", "vbscript:", "data:")), value
        if tag == "input":
            assert attributes.get("type") == "radio", (attributes, output[:300])
            assert re.fullmatch(r"__tabbed_\d+", attributes.get("name", "__tabbed_0"))


def test_admonition_with_title():
    html = render('!!! warning "Mind the gap"\n    Careful.').html
    assert '<div class="admonition warning">' in html
    assert '<p class="admonition-title">Mind the gap</p>' in html


def test_collapsible_block_is_details():
    html = render('??? question "Why?"\n    Because.').html
    assert '<details class="question">' in html and "<summary>Why?</summary>" in html


def test_open_collapsible_block():
    assert '<details class="note" open="open">' in render("???+ note\n    Shown.").html


def test_footnotes():
    html = render("Claim[^1].\n\n[^1]: Source.").html
    assert 'class="footnote-ref"' in html and 'id="fn:1"' in html and 'class="footnote"' in html


def test_content_tabs_are_radio_inputs_with_labels():
    html = render('=== "One"\n\n    first\n\n=== "Two"\n\n    second').html
    assert '<input checked="checked" id="__tabbed_1_1" name="__tabbed_1" type="radio">' in html
    assert '<label for="__tabbed_1_2">Two</label>' in html


def test_fenced_code_inside_a_block_is_highlighted():
    html = render("!!! example\n\n    ```python\n    import os\n    ```").html
    assert '<div class="highlight">' in html and '<span class="kn">import</span>' in html


def test_table_and_heading_permalinks_and_toc():
    rendered = render("## Part one\n\n| a | b |\n|---|---|\n| 1 | 2 |")
    assert "<table>" in rendered.html
    assert '<a class="headerlink" href="#part-one"' in rendered.html
    assert 'href="#part-one"' in rendered.toc_html


def test_theme_images_keep_their_fragment():
    html = render("![d](a.png#only-light)\n![d](a_dark.png#only-dark)").html
    assert 'src="a.png#only-light"' in html and 'src="a_dark.png#only-dark"' in html


def test_raw_figure_and_figcaption_are_kept():
    html = render("<figure><figcaption>Caption</figcaption></figure>").html
    assert "<figure><figcaption>Caption</figcaption></figure>" in html


def test_external_links_are_collected():
    rendered = render("See [PEP 517](https://peps.python.org/pep-0517/) and [here](#x).")
    assert [(link.url, link.text) for link in rendered.links] == [
        ("https://peps.python.org/pep-0517/", "PEP 517")
    ]


def test_plain_text_has_no_markup():
    assert render("**Bold** <b>x</b> `<script>`").text == "Bold x <script>"


VECTORS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//x.test/x.js></SCRIPT>",
    '<img src=x onerror="alert(1)">',
    "<img src=x onerror=alert(1)//",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<a href=" javascript:alert(1)">x</a>',
    "[x](javascript:alert(1))",
    "[x](JAVASCRIPT:alert(1))",
    "[x]( javascript:alert(1) )",
    "![x](javascript:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](data:image/svg+xml;base64,PHN2Zz4=)",
    "[x](vbscript:msgbox(1))",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<math><mi xlink:href='javascript:alert(1)'>x</mi></math>",
    '<iframe src="https://evil.test"></iframe>',
    '<object data="x.swf"></object>',
    '<embed src="x.swf">',
    "<style>body{display:none}</style>",
    '<link rel="stylesheet" href="https://evil.test/x.css">',
    '<meta http-equiv="refresh" content="0;url=https://evil.test">',
    '<base href="https://evil.test/">',
    '<form action="https://evil.test"><input name="pw" type="password"></form>',
    '<input type="text" name="__tabbed_1" onfocus="alert(1)" autofocus>',
    '<input type="radio" name="evil" id="x">',
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<p style="position:fixed;top:0">overlay</p>',
    '<details open ontoggle="alert(1)"><summary>x</summary></details>',
    '<a href="#" onclick="alert(1)">x</a>',
    "<img src=x onerror=alert(1)>{: onclick=alert(1) }",
    'Text\n{: onclick="alert(1)" style="color:red" }',
    '!!! note "<img src=x onerror=alert(1)>"\n    body',
    '??? note "<script>alert(1)</script>"\n    body',
    '=== "<img src=x onerror=alert(1)>"\n\n    tab',
    "[^1]\n\n[^1]: <script>alert(1)</script>",
    "```html\n<script>alert(1)</script>\n```",
    "<!--<script>alert(1)</script>-->",
    "<scr<script>ipt>alert(1)</script>",
    '<a href="&#106;avascript:alert(1)">x</a>',
    "<a href='java\nscript:alert(1)'>x</a>",
    '<img src="x" srcset="javascript:alert(1)">',
    '<video><source onerror="alert(1)"></video>',
    '<a href="x" formaction="javascript:alert(1)">x</a>',
    '<label for="x" onmouseover="alert(1)">x</label>',
    "<x onmouseover=alert(1)>hover</x>",
]


@pytest.mark.parametrize("source", VECTORS)
def test_known_attack_vectors_are_neutralised(source):
    assert_safe(render(source).html)
    assert_safe(render(source).toc_html)


def test_heading_with_markup_does_not_leak_into_the_toc():
    rendered = render("## <img src=x onerror=alert(1)> Title")
    assert_safe(rendered.toc_html)
    assert_safe(rendered.html)


FRAGMENTS = st.sampled_from(
    [
        "<script>",
        "</script>",
        "<img src=x ",
        "onerror=",
        "onload=",
        "javascript:",
        "JaVa",
        "script:",
        "data:",
        "<a href=",
        '"',
        "'",
        ">",
        "<",
        "[x](",
        ")",
        "![",
        "](",
        "\n",
        "    ",
        "!!! note ",
        "??? ",
        '=== "',
        "```",
        "<svg",
        "<style>",
        "style=",
        "{: ",
        "}",
        "&#",
        "x3a;",
        "<input type=",
        "radio",
        "name=",
        "__tabbed_1",
        "<iframe",
        "alert(1)",
        "<details",
        "ontoggle=",
        "<!--",
        "-->",
        "[^1]",
        "[^1]: ",
        "<b>",
        "&colon;",
        "\t",
        "vbscript:",
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(FRAGMENTS, st.text(max_size=5)), max_size=40).map("".join))
def test_no_markdown_or_html_can_emit_script_handlers_or_javascript_urls(source):
    try:
        rendered = render(source)
    except MarkdownError:
        return
    assert_safe(rendered.html)
    assert_safe(rendered.toc_html)


def test_sanitiser_keeps_what_the_renderer_makes():
    html = render('!!! note "T"\n    x[^1]\n\n??? tip\n    y\n\n=== "A"\n\n    a\n\n[^1]: f\n').html
    assert sanitise(html) == html


def test_body_over_the_size_cap_is_refused_with_a_clear_message(settings):
    settings.KB_MAX_BODY_CHARS = 1000
    with pytest.raises(MarkdownError, match="too long: 1,001 characters, at most 1,000"):
        render("x" * 1001)


def test_deep_nesting_is_refused_instead_of_a_recursion_error():
    nested = "".join("  " * depth + "- item\n" for depth in range(200))
    with pytest.raises(MarkdownError, match="nested too deeply"):
        render(nested)
    with pytest.raises(MarkdownError, match="nested too deeply"):
        render("> " * 500 + "quote")


@pytest.mark.parametrize(
    "source",
    ["[" * 8000, "[](" * 5000, "<http://a" * 5000],
    ids=["brackets", "empty-links", "unclosed-tags"],
)
def test_pathological_input_is_refused_before_parsing(source):
    # The pre-check refuses it, so the slow parser (seconds to minutes) never runs.
    with pytest.raises(MarkdownError):
        check_renderable(source)
    with pytest.raises(MarkdownError):
        render(source)


def test_nul_character_is_refused():
    with pytest.raises(MarkdownError, match="NUL"):
        render("a\x00b")
