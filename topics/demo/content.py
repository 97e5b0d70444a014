"""Demo content written for this project: a small knowledge base about itself.

Everything here is loaded marked as demo (`is_demo`), with "(demo)" in the
section titles, "Demo:" in the round titles, a note at the top of every topic
and the tag "demo", so nobody takes it for real content; `remove_demo`
deletes all of it.
"""

DEMO_TAG = "demo"

DEMO_NOTE = """\
!!! info "Demo content"
    This page was written for this project to show what the site can do. It is
    not part of any real knowledge base: `python manage.py remove_demo` deletes it.

"""

SECTIONS = [
    {
        "slug": "demo-getting-started",
        "title": "Getting started (demo)",
        "description": "Demo: how this knowledge base is organised and how to contribute to it.",
        "numbered": False,
        "topics": [
            {
                "slug": "how-topics-are-curated",
                "title": "How topics are curated",
                "summary": "Who writes topics, who reviews them, and how a change reaches readers.",
                "tags": ["process", "editing"],
                "body": """\
Every topic here is written in Markdown, reviewed by an editor and published
with its full history kept. Anyone signed in as a stakeholder can suggest a
change; nothing they write is thrown away.

## The life of a change

1. A stakeholder suggests an edit, starting from the published text.
2. An editor compares it with what is published and publishes it, asks for
   changes, or declines it with a reason.
3. Readers see the new text at once; the old one stays in the history.

!!! tip "Small changes review faster"
    A suggestion that changes one section is easier to check than one that
    rewrites the whole topic.

??? question "What if two people edit the same topic?"
    The second suggestion is marked as based on an older text, and the editor
    sees both changes side by side before publishing anything.

## Writing style

- Say what the problem is before proposing a fix.
- Link to the primary source: the [Python Packaging User Guide](https://packaging.python.org/)
  or the relevant [PEP](https://peps.python.org/pep-0517/) rather than a summary of it.
- Keep claims checkable[^1].

[^1]: A claim is checkable when a reader can follow a reference and find it there.
""",
            },
            {
                "slug": "markdown-cheat-sheet",
                "title": "Markdown cheat sheet",
                "summary": "The blocks you can use in a topic: admonitions, collapsible blocks, tabs, footnotes.",
                "tags": ["editing", "markdown"],
                "body": """\
Topics use the same Markdown dialect as MkDocs Material, so content can move
between a static site and this application without changes.

## Admonitions

!!! note "A note with a title"
    Admonitions draw attention to something the reader should not miss.

!!! warning
    Without a title, the block is named after its kind.

## Collapsible blocks

??? example "Click to open"
    Collapsible blocks keep long examples out of the way until needed.

## Content tabs

=== "pip"

    ```bash
    python -m pip install example-package
    ```

=== "conda"

    ```bash
    conda install -c conda-forge example-package
    ```

## Tables

| Block | Syntax |
|-------|--------|
| Admonition | `!!! note` |
| Collapsible | `??? note` |
| Tab | `=== "Title"` |

## Footnotes

Footnotes keep asides short[^aside].

[^aside]: Like this one.
""",
            },
        ],
    },
    {
        "slug": "demo-key-issues",
        "title": "Key issues (demo)",
        "description": "Demo: invented key issues, in the order of the closed demo round.",
        "numbered": True,
        "topics": [
            {
                "slug": "shipping-compiled-extensions",
                "title": "Shipping compiled extensions",
                "summary": "Why a package with C, C++ or Rust code needs one binary per platform.",
                "tags": ["packaging", "native code"],
                "body": """\
A pure-Python package runs wherever Python runs. A package with compiled code
runs only where it was compiled for: one operating system, one processor
family, and often one Python version.

## Current state

Projects build a matrix of wheels in continuous integration, commonly with
[cibuildwheel](https://cibuildwheel.pypa.io/), and upload them all.

## Problems

- The matrix grows with every new Python release and platform.
- Users on a platform without a wheel silently fall back to building from
  source, which needs a compiler they may not have.

## Potential solutions

Build-farm services, the stable ABI of
[PEP 384](https://peps.python.org/pep-0384/), and clearer installer errors.
""",
            },
            {
                "slug": "declaring-non-python-dependencies",
                "title": "Declaring non-Python dependencies",
                "summary": "Package metadata cannot say that a C library is needed.",
                "tags": ["packaging", "metadata"],
                "body": """\
Python package metadata lists Python dependencies only. A package that links
to a system library has no standard way to say so.

## Current state

Projects write the requirement in their documentation, and users find out
when a build fails. See the discussion on
[external dependencies](https://discuss.python.org/t/pep-725-specifying-external-dependencies-in-pyproject-toml/31888).

## Problems

The failure comes late, far from its cause, and its message names a header
file rather than the missing package.
""",
            },
            {
                "slug": "testing-wheels-on-every-platform",
                "title": "Testing wheels on every platform",
                "summary": "A wheel that builds is not yet a wheel that works where it is installed.",
                "tags": ["packaging", "testing"],
                "body": """\
Continuous integration usually builds wheels on a handful of machines, and
then tests them, if at all, on the same machines. Users install them on many
more.

## Current state

Build tools can run the test suite against each built wheel in a clean
environment; [cibuildwheel](https://cibuildwheel.pypa.io/) has a `test-command`
option for this. Processors and operating systems without hosted runners are
tested by emulation, slowly, or not at all.

## Problems

- A wheel built on a new system may need a newer C library than the oldest
  system it claims to support.
- Emulated tests take so long that projects skip them.

## Potential solutions

Test each wheel on the oldest system its platform tag names, and share
runners for rare platforms between projects.
""",
            },
        ],
    },
    {
        "slug": "demo-background",
        "title": "Background (demo)",
        "description": "Demo: concepts the demo key issues rely on.",
        "numbered": False,
        "topics": [
            {
                "slug": "what-a-wheel-is",
                "title": "What a wheel is",
                "summary": "The built package format that pip installs without running any build.",
                "tags": ["packaging", "wheels"],
                "body": """\
A wheel is a zip archive with a standard layout, described in
[the binary distribution format specification](https://packaging.python.org/en/latest/specifications/binary-distribution-format/).
Its file name carries tags for the Python version, the ABI and the platform,
and installers pick the most specific wheel that matches.
""",
            },
        ],
    },
]

# Development accounts (created only with DEBUG on): verified stakeholders, one
# per stakeholder group, so that a newcomer can sign in and vote.
DEMO_PASSWORD = "demo"  # noqa: S105 (documented in the README; DEBUG only)
DEMO_ACCOUNTS = [
    {
        "username": "demo-alice",
        "display_name": "Alice (demo account)",
        "group": "pydata-maintainers",
    },
    {"username": "demo-bob", "display_name": "Bob (demo account)", "group": "packaging-tools"},
    {
        "username": "demo-chen",
        "display_name": "Chen (demo account)",
        "group": "educators-community",
    },
]

CLOSED_ROUND = {
    "slug": "demo-priorities",
    "title": "Demo: which key issue matters most?",
    "description": (
        "A closed demo round with invented ballots, so that the results pages "
        "can be explored. It orders the demo key issues and nothing else."
    ),
}

OPEN_ROUND = {
    "slug": "demo-open-vote",
    "title": "Demo: rank the key issues",
    "description": (
        "An open demo round: sign in as demo-alice, demo-bob or demo-chen "
        "(password: demo) and cast a ballot. Partial results are shown while it is open."
    ),
}

# Invented ballots of the closed round, by topic slug: tie groups, best first.
# Most put testing first; one large group cares most about compiled extensions.
_SHIPPING, _DECLARING, _TESTING = (
    "shipping-compiled-extensions",
    "declaring-non-python-dependencies",
    "testing-wheels-on-every-platform",
)
CLOSED_ROUND_BALLOTS = (
    [[[_TESTING], [_SHIPPING], [_DECLARING]]] * 6
    + [[[_SHIPPING], [_DECLARING, _TESTING]]] * 5
    + [[[_DECLARING], [_TESTING], [_SHIPPING]]] * 3
)
