"""Classify a reference by its URL (pure: no database)."""

import re
from urllib.parse import urlsplit

_RULES: list[tuple[str, re.Pattern[str]]] = [
    ("pep", re.compile(r"(peps\.python\.org/pep-\d+|python\.org/dev/peps/pep-\d+)")),
    ("issue", re.compile(r"(github\.com|gitlab\.com|bitbucket\.org)/[^/]+/[^/]+/(-/)?(issues|pull|merge_requests|discussions)/\d+")),
    ("issue", re.compile(r"(bugs\.python\.org/issue|sourceware\.org/bugzilla|bugzilla\.)")),
    ("forum", re.compile(r"(discuss\.python\.org|mail\.python\.org|groups\.google\.com|mail-archive|lists\.|discourse\.|/pipermail/|news\.ycombinator|reddit\.com|twitter\.com|x\.com/)")),
    ("talk", re.compile(r"(youtube\.com|youtu\.be|vimeo\.com|pyvideo\.org|slideshare|speakerdeck)")),
    ("paper", re.compile(r"(arxiv\.org|doi\.org|\.pdf$|proceedings)")),
    ("docs", re.compile(r"(docs\.|readthedocs|\.readthedocs\.io|/docs?/|/documentation/|packaging\.python\.org|wiki\.)")),
    ("blog", re.compile(r"(blog|medium\.com|/posts?/|/\d{4}/\d{2}/|labs\.quansight\.org|dev\.to|substack)")),
]  # fmt: skip


def classify_url(url: str) -> str:
    """Guess a reference's kind (pep, issue, forum, talk, paper, docs, blog, other) from its URL."""
    parts = urlsplit(url.lower())
    target = f"{parts.netloc}{parts.path}"
    for kind, pattern in _RULES:
        if pattern.search(target):
            return kind
    return "other"


def normalise_url(url: str) -> str:
    """The URL that identifies a reference: no fragment, no trailing whitespace."""
    return url.strip().split("#", 1)[0]
