"""Code is readable in both schemes: static/css/code.css is what scripts/pygments_css.py
makes, and every colour in it is at 4.5:1 or more on the code background."""

import importlib.util
import re
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "pygments_css.py"
spec = importlib.util.spec_from_file_location("pygments_css", SCRIPT)
pygments_css = importlib.util.module_from_spec(spec)
spec.loader.exec_module(pygments_css)


def test_the_code_stylesheet_is_generated_from_the_current_pygments_and_site_colours():
    assert pygments_css.OUTPUT.read_text() == pygments_css.stylesheet()


def test_every_token_colour_reads_at_4_5_to_1_on_the_code_background_in_both_schemes():
    backgrounds = pygments_css.site_colour("code-bg")
    pairs = re.findall(
        r"\.highlight \.(\w+)\{color:light-dark\((#\w{6}),(#\w{6})\)",
        pygments_css.OUTPUT.read_text(),
    )
    assert len(pairs) > 60  # keywords, names, strings, numbers, comments, preprocessor, ...
    assert {"k", "kt", "cp", "c1", "s", "mi", "nf"} <= {css_class for css_class, _, _ in pairs}
    low = [
        (css_class, scheme, round(pygments_css.contrast(colour, backgrounds[scheme]), 2))
        for css_class, light, dark in pairs
        for scheme, colour in (("light", light), ("dark", dark))
        if pygments_css.contrast(colour, backgrounds[scheme]) < 4.5
    ]
    assert not low, low
