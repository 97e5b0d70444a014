"""What a reference is, from its URL and link text (pure: no database).

- `classify_url`: its kind (PEP, issue, forum thread, ...), by rules on the
  host and the path, the first that matches.
- `normalise_url` / `reference_key`: the URL to store, and what makes two
  URLs one reference (no fragment, trailing slash or ``www.``).
- `reference_title`: the link text, unless it says nothing ("here", "this
  thread", a bare URL), in which case a title made from the URL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit


@dataclass(frozen=True)
class Rule:
    """A kind for URLs whose host (without ``www.``) and path match these patterns."""

    kind: str
    host: str = ""
    path: str = ""

    def matches(self, host: str, path: str) -> bool:
        return (not self.host or re.search(self.host, host) is not None) and (
            not self.path or re.search(self.path, path) is not None
        )


_FORGE = r"^(github\.com|gitlab\.com|bitbucket\.org|codeberg\.org)$"
_HOME = r"^/?(index\.html?)?$"

# First match wins, so the specific rules come before the broad ones.
RULES: tuple[Rule, ...] = (
    Rule("pep", host=r"^peps\.python\.org$", path=r"^/pep-\d+"),
    Rule("pep", host=r"^python\.org$", path=r"^/dev/peps/pep-\d+"),
    # A draft PEP kept in a repository (benfogle/peps/blob/master/pep-9999.rst).
    Rule("pep", host=_FORGE, path=r"/blob/[^/]+/pep-\d+\.(rst|txt|md)$"),
    Rule(
        "issue",
        host=_FORGE,
        path=r"^/[^/]+/[^/]+/(-/)?(issues|pulls?|merge_requests|discussions|commit)/\w+",
    ),  # noqa: E501
    Rule("issue", host=r"^(bugs\.python\.org|bugzilla\.|sourceware\.org|issues\.apache\.org)"),
    Rule(
        "forum",
        host=r"^(discuss\.python\.org|discourse\.|mail\.python\.org|lists\.|groups\.google\.com|mail-archive\.com|news\.ycombinator\.com|(old\.)?reddit\.com|twitter\.com|x\.com|fosstodon\.org|mastodon\.)",
    ),  # noqa: E501
    Rule("forum", path=r"/(pipermail|archives/list|mailman)/"),
    Rule(
        "talk",
        host=r"^(youtube\.com|youtu\.be|vimeo\.com|pyvideo\.org|slideshare\.net|speakerdeck\.com|podcasts\.apple\.com|open\.spotify\.com)",
    ),  # noqa: E501
    Rule("talk", path=r"/(talks?|podcasts?|episodes?)/"),
    Rule(
        "paper",
        host=r"^(arxiv\.org|doi\.org|dl\.acm\.org|ieeexplore\.ieee\.org|conference\.scipy\.org|proceedings\.)",
    ),  # noqa: E501
    Rule("paper", path=r"(\.pdf$|/pubs?/|/papers?/|/proceedings/)"),
    Rule(
        "book",
        host=r"^(manning\.com|oreilly\.com|nostarch\.com|py-pkgs\.org|packt\.com|pragprog\.com)$",
    ),  # noqa: E501
    Rule("book", path=r"^/books?/"),
    Rule("article", host=r"(^|\.)wikipedia\.org$|^lwn\.net$|^realpython\.com$"),
    # Web archive copies: classified by the page they keep.
    Rule(
        "blog",
        host=r"(blog|^medium\.com$|substack\.com$|wordpress\.com$|^dev\.to$|^snarky\.ca$|^thephd\.dev$)",
    ),  # noqa: E501
    Rule("blog", path=r"(/blog/|/posts?/|^/\d{4}/\d{2}/)"),
    # A document in a repository (README.md, a proposal); a repository's files are its project.
    Rule("docs", host=_FORGE, path=r"^/[^/]+/[^/]+/blob/.+\.(md|rst|txt|adoc)$"),
    Rule("project", host=_FORGE),
    Rule("project", host=r"^(pypi\.org|test\.pypi\.org)$", path=r"^/project/"),
    Rule(
        "project",
        host=r"^(anaconda\.org|prefix\.dev|crates\.io|npmjs\.com|rubygems\.org|cran\.r-project\.org|cpan\.org|metacpan\.org|packages\.ubuntu\.com|packages\.debian\.org|archlinux\.org|formulae\.brew\.sh|sourceforge\.net)$",
    ),  # noqa: E501
    Rule(
        "docs",
        host=r"(^docs?\.|^learn\.microsoft\.com$|readthedocs|\.pypa\.io$|^packaging\.python\.org$|^wiki\.)",
    ),  # noqa: E501
    Rule(
        "docs",
        path=r"(^/docs?/|/docs?/|/documentation/|/manual/|/guides?/|/user[-_]?guide|/en/(latest|stable)/|^/(latest|stable)/|devdocs|/neps/|/reference/|/api-reference/|/tutorials?/|/install|/help/|/faq|/specifications?/|/wiki/|/onlinedocs/|/get-started|/getting[-_]started|/developers?/)",
    ),  # noqa: E501
    # A vendor's developer pages that are not documentation: its libraries and tools.
    Rule("project", host=r"^developers?\."),
    # What is left at the root of a site, or under /project(s)/ or /product(s)/, is a project's page.
    Rule("project", path=_HOME),
    Rule("project", path=r"^/(projects?|products?|downloads?|software|tools?)(/|$)"),
    Rule("docs", path=r"\.html?$"),
)


def _host_and_path(url: str) -> tuple[str, str]:
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower().removeprefix("www.")
    path = parts.path
    if host == "web.archive.org":
        # /web/20210616203153/https://pav.iki.fi/blog/... : classify the archived page.
        kept = re.match(r"^/web/\d+[a-z_]*/(.+)$", path)
        if kept:
            return _host_and_path(kept.group(1))
    return host, path


def classify_url(url: str) -> str:
    """Guess a reference's kind from its URL (one of Reference.Kind's values)."""
    host, path = _host_and_path(url)
    if not host:
        return "other"
    path = path.lower()
    for rule in RULES:
        if rule.matches(host, path):
            return rule.kind
    return "other"


def normalise_url(url: str) -> str:
    """The URL to store for a reference: as written, without its fragment or surrounding space."""
    return url.strip().split("#", 1)[0]


def reference_key(url: str) -> str:
    """What identifies a reference: URLs differing only by fragment, ``www.`` or a trailing slash
    are the same reference."""
    parts = urlsplit(normalise_url(url))
    host = (parts.netloc or "").lower().removeprefix("www.")
    path = parts.path.rstrip("/")
    query = f"?{parts.query}" if parts.query else ""
    return f"{parts.scheme.lower()}://{host}{path}{query}"


def url_variants(url: str) -> set[str]:
    """The stored forms a URL may have been saved under (with or without www. and trailing /)."""
    parts = urlsplit(normalise_url(url))
    host = parts.netloc.removeprefix("www.")
    query = f"?{parts.query}" if parts.query else ""
    path = parts.path.rstrip("/")
    return {
        f"{parts.scheme}://{prefix}{host}{path}{slash}{query}"
        for prefix in ("", "www.")
        for slash in ("", "/")
    }


# --- titles -----------------------------------------------------------------

# Link texts that say nothing of what they point at.
GENERIC_TEXTS = frozenset(
    {
        "",
        "here",
        "there",
        "this",
        "that",
        "link",
        "this link",
        "page",
        "this page",
        "click here",
        "see here",
        "read more",
        "more",
        "website",
        "site",
        "web site",
        "homepage",
        "home page",
        "docs",
        "documentation",
        "source",
        "code",
        "repo",
        "repository",
        "github",
        "github repo",
        "on github",
        "pypi",
        "pypi package",
        "package",
        "paper",
        "article",
        "post",
        "blog post",
        "blog",
        "thread",
        "discourse thread",
        "twitter thread",
        "tweet",
        "discussion",
        "issue",
        "pr",
        "pull request",
        "comment",
        "talk",
        "video",
        "slides",
        "tool",
        "details",
        "example",
    }
)
_DEMONSTRATIVE = re.compile(r"^(this|that|these|those)\b", re.I)
_NUMBER = re.compile(r"^#?\d+$")
_BARE_URL = re.compile(r"^(https?://)?(www\.)?[\w-]+(\.[\w-]+)+(/\S*)?$", re.I)


def is_generic_text(text: str, url: str) -> bool:
    """True when a link's text does not name what it links to ("here", "this thread", "518",
    a bare URL, or a word of the sentence such as "translated" that the URL does not contain)."""
    words = text.strip().strip("\"'“”").strip()
    folded = words.lower()
    if folded in GENERIC_TEXTS or _DEMONSTRATIVE.match(words) or _NUMBER.match(words):
        return True
    if _BARE_URL.match(words):
        site = re.sub(r"^(https?://)?(www\.)?", "", folded).split("/")[0]
        host, _ = _host_and_path(url)
        return site == host or host.endswith(f".{site}")
    # One or two plain lower-case words that the URL does not contain are a piece of the
    # sentence ("translated", "make use"), not a name ("mold", "musl", "protobuf").
    if re.fullmatch(r"[a-z]+( [a-z]+)?", words):
        tokens = re.split(r"[^a-z0-9]+", unquote(url).lower())
        return not any(
            token.startswith(word[:5]) for word in words.split() for token in tokens if token
        )
    return False


def title_from_url(url: str) -> str:
    """A readable title made from a URL: "PEP 517", "numpy/numpy#1234", a thread's slug in words,
    else the site and the document's path."""
    return _title_from_url(url)[0]


def _title_from_url(url: str) -> tuple[str, bool]:
    """(title, whether it names the thing: a PEP, an issue, an article, a slug in words)."""
    host, path = _host_and_path(url)
    segments = [unquote(s) for s in path.split("/") if s]
    pep = re.search(r"/(?:dev/peps/)?pep-0*(\d+)", path)
    if pep and (host == "peps.python.org" or "/peps/" in path):
        return f"PEP {pep.group(1)}", True
    if re.search(_FORGE, host) and len(segments) >= 2:
        project = "/".join(segments[:2])
        if len(segments) >= 4 and segments[2] in {"issues", "pull", "pulls", "discussions"}:
            return f"{project}#{segments[3]}", True
        if len(segments) >= 5 and segments[2] in {"blob", "tree"}:
            return f"{project}: {'/'.join(segments[4:])}", False
        return project, True
    if host in {"twitter.com", "x.com"} and segments:
        return f"@{segments[0]} on {'X' if host == 'x.com' else 'Twitter'}", False
    if host.endswith("wikipedia.org") and len(segments) >= 2 and segments[0] == "wiki":
        return f"Wikipedia: {segments[1].replace('_', ' ')}", True
    if host in {"pypi.org", "test.pypi.org"} and len(segments) >= 2 and segments[0] == "project":
        return f"{' '.join(segments[1:3])} on PyPI", True
    if len(segments) >= 2 and segments[0] == "t" and _is_slug(segments[1], words=2):
        # A Discourse thread: /t/<slug>/<id>
        return _words(segments[1]), True
    if segments and _is_slug(segments[-1]):
        return f"{host}: {_words(segments[-1])}", True
    if segments and segments[-1] in {"index.html", "index.htm"}:
        segments = segments[:-1]
    if segments:
        segments[-1] = re.sub(r"\.html?$", "", segments[-1])
    return "/".join([host, *segments]), False


def _is_slug(segment: str, words: int = 3) -> bool:
    """A post's or page's slug: `words` words or more joined by hyphens."""
    stem = re.sub(r"\.html?$", "", segment)
    return stem.count("-") >= words - 1 and re.fullmatch(r"[\w+.-]+", stem) is not None


# Words a slug writes in lower case that are written otherwise.
_SLUG_WORDS = {"pep": "PEP", "pypi": "PyPI", "abi": "ABI", "api": "API", "gpus": "GPUs"}


def _words(slug: str) -> str:
    stem = re.sub(r"\.html?$", "", slug)
    stem = re.sub(r"-[0-9a-f]{8,}$", "", stem)  # Medium-style trailing ids
    words = [_SLUG_WORDS.get(word, word) for word in stem.split("-") if word]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def clean_link_text(text: str) -> str:
    """A link text as a title: one line, without the quotes it was written in."""
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) >= 2 and text[0] + text[-1] in {'""', "''", "“”"}:
        text = text[1:-1].strip()
    return text


def reference_title(text: str, url: str) -> str:
    """The title for a reference linked as `text`: the text, unless it is generic."""
    text = clean_link_text(text)
    if not is_generic_text(text, url):
        return text
    derived, names_it = _title_from_url(url)
    rest = _DEMONSTRATIVE.sub("", text).strip()
    if not names_it and len(rest.split()) >= 3 and rest.split()[0].lower() != "one":
        # "this paper on SciPy's Cython API" says more than a PDF's path.
        return rest[:1].upper() + rest[1:]
    return derived
