"""axe-core on every main page, in both colour schemes, on a desktop and a phone.

Every collapsible block is opened first, so what is inside is checked too. Any
serious or critical violation fails; the end of the run prints the whole table
(pages × schemes × widths), so CI's output shows it.
"""

from pathlib import Path

import pytest

from tests.browser import SCHEMES, VIEWPORTS, chromium_browser, set_up_main_pages, signed_in_context

pytestmark = [
    pytest.mark.browser,
    pytest.mark.corpus,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
FAILING = ("serious", "critical")
OPEN_EVERY_DETAILS = "document.querySelectorAll('details').forEach((d) => { d.open = true; })"
MATCHES_SCHEME = "matchMedia('(prefers-color-scheme: {scheme})').matches"
RUN_AXE = "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"


class AxeSummary:
    """Collects each check and prints the table at the end of the run."""

    def __init__(self):
        self.rows: dict[str, dict[str, dict[str, int]]] = {}
        self.rules: dict[str, set[str]] = {}

    def add(self, page: str, column: str, violations: list[dict]) -> None:
        counts = {impact: 0 for impact in ("critical", "serious", "moderate", "minor")}
        for violation in violations:
            counts[violation["impact"]] += 1
            self.rules.setdefault(f"{violation['impact']} {violation['id']}", set()).add(page)
        self.rows.setdefault(page, {})[column] = counts

    def pytest_terminal_summary(self, terminalreporter):
        columns = sorted(
            {column for row in self.rows.values() for column in row},
            key=lambda column: (SCHEMES.index(column.split()[0]), -int(column.split()[1])),
        )
        if not columns:
            return
        checks = [counts for row in self.rows.values() for counts in row.values()]
        total = {impact: sum(c[impact] for c in checks) for impact in checks[0]}
        version = AXE.read_text()[:40].split("\n")[0].removeprefix("/*! ")
        terminalreporter.section("accessibility (axe-core)")
        schemes = list(dict.fromkeys(column.split()[0] for column in columns))
        widths = list(dict.fromkeys(column.split()[1] for column in columns))
        terminalreporter.write_line(
            f"{version}: {len(self.rows)} pages × {len(schemes)} schemes ({', '.join(schemes)})"
            f" × {len(widths)} widths ({' and '.join(widths)} px) = "
            f"{len(checks)} checks; violations: {total['critical']} critical, "
            f"{total['serious']} serious, {total['moderate']} moderate, {total['minor']} minor"
        )
        width = max(len(page) for page in self.rows)
        terminalreporter.write_line(
            " " * width
            + "  "
            + "  ".join(f"{c:>13}" for c in columns)
            + "   (serious+critical / all)"
        )
        for page, row in self.rows.items():
            cells = []
            for column in columns:
                counts = row.get(column)
                cells.append(
                    f"{counts['serious'] + counts['critical']}/{sum(counts.values())}"
                    if counts
                    else "-"
                )
            terminalreporter.write_line(
                f"{page:<{width}}  " + "  ".join(f"{cell:>13}" for cell in cells)
            )
        for rule, pages in sorted(self.rules.items()):
            terminalreporter.write_line(f"{rule}: {', '.join(sorted(pages))}")


@pytest.fixture(scope="module")
def axe_summary(request):
    summary = AxeSummary()
    request.config.pluginmanager.register(summary, "axe-summary")
    return summary


def describe(page: str, column: str, violation: dict) -> str:
    targets = [" ".join(map(str, node["target"])) for node in violation["nodes"][:3]]
    more = len(violation["nodes"]) - len(targets)
    return (
        f"{page} ({column}): {violation['impact']} {violation['id']}: {violation['help']}"
        f" at {', '.join(targets)}{f' and {more} more' if more > 0 else ''}"
    )


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_no_main_page_has_a_serious_accessibility_violation(live_server, axe_summary, viewport):
    """Each page is loaded once per width and checked in each scheme: the schemes are pure
    CSS (`prefers-color-scheme`, no transitions), so switching the emulated one redraws it."""
    pages, sessions = set_up_main_pages()
    failures = []
    with chromium_browser() as browser:
        contexts = {}
        for who in ("reader", "stakeholder", "editor"):
            contexts[who] = signed_in_context(
                browser, live_server.url, sessions.get(who), viewport=VIEWPORTS[viewport]
            )
            contexts[who].add_init_script(path=AXE)
        tabs = {who: context.new_page() for who, context in contexts.items()}
        for main_page in pages:
            page = tabs[main_page.who]
            response = page.goto(main_page.path)
            assert response.status == 200, f"{main_page.path} answered {response.status}"
            page.evaluate(OPEN_EVERY_DETAILS)
            for scheme in SCHEMES:
                page.emulate_media(color_scheme=scheme)
                assert page.evaluate(MATCHES_SCHEME.format(scheme=scheme)), scheme
                column = f"{scheme} {VIEWPORTS[viewport]['width']}"
                violations = page.evaluate(RUN_AXE)
                axe_summary.add(main_page.name, column, violations)
                failures += [
                    describe(main_page.name, column, violation)
                    for violation in violations
                    if violation["impact"] in FAILING
                ]
    assert not failures, "\n".join(failures)
