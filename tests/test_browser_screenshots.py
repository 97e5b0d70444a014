"""Screenshots of the main pages, desktop and phone, light and dark, in docs/screenshots/.

Each is the first screen a reader sees (the viewport, not the whole page), reduced to
256 colours so the folder stays small; the README shows a few. Dates in the pages are
fixed (the corpus's history, rounds on fixed days), so a run that changes nothing on
screen rewrites the same bytes and git sees no change.
"""

import io
from pathlib import Path

import pytest
from PIL import Image

from tests.browser import SCHEMES, VIEWPORTS, chromium_browser, set_up_main_pages, signed_in_context

pytestmark = [
    pytest.mark.browser,
    pytest.mark.corpus,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
FOLDER = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
PAGES = ("home", "topic-code", "topic-tabs-figures", "history", "results", "ballot")


def small_png(png: bytes) -> bytes:
    """The screenshot in 256 colours: a third of the size, and text stays sharp."""
    image = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=256, dither=Image.NONE)
    output = io.BytesIO()
    image.save(output, format="PNG", optimize=True)
    return output.getvalue()


def test_screenshots_of_the_main_pages_on_desktop_and_phone_in_both_schemes(live_server):
    pages, sessions = set_up_main_pages()
    FOLDER.mkdir(parents=True, exist_ok=True)
    saved = []
    with chromium_browser() as browser:
        for scheme in SCHEMES:
            for device, viewport in VIEWPORTS.items():
                tabs = {}
                for main_page in (page for page in pages if page.name in PAGES):
                    if main_page.who not in tabs:
                        tabs[main_page.who] = signed_in_context(
                            browser,
                            live_server.url,
                            sessions.get(main_page.who),
                            viewport=viewport,
                            color_scheme=scheme,
                        ).new_page()
                    page = tabs[main_page.who]
                    page.goto(main_page.path)
                    page.evaluate("document.fonts.ready")
                    path = FOLDER / f"{main_page.name}-{device}-{scheme}.png"
                    png = small_png(page.screenshot())
                    if not path.exists() or path.read_bytes() != png:
                        path.write_bytes(png)
                    saved.append(path)
    assert len(saved) == len(PAGES) * len(SCHEMES) * len(VIEWPORTS)
    total = sum(path.stat().st_size for path in saved)
    print(f"{len(saved)} screenshots in {FOLDER}, {total / 1024:.0f} KB")
    assert total < 3 * 1024 * 1024, "screenshots should stay small"
