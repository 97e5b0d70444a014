"""Launching Debian's Chromium through Playwright, with the flags this network needs."""

from contextlib import contextmanager

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@contextmanager
def chromium_browser():
    """A browser in which each context is one person (own cookies); closed on exit."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def chromium_page(**context_options):
    """A fresh browser page; closed with its browser on exit."""
    with chromium_browser() as browser:
        yield browser.new_context(**context_options).new_page()
