"""The one renderer: Markdown in, sanitised HTML out.

Configured like MkDocs Material (admonitions, ``???`` details, content tabs,
footnotes, fenced code with highlighting, tables, heading permalinks) so that
imported MkDocs sites render faithfully, then cleaned by nh3 with an
allow-list of exactly what these extensions produce. Pages, the admin and
the django-markdownx preview all call this module, so the preview is what
gets published.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from xml.etree.ElementTree import Element

import markdown
import nh3
from django.conf import settings
from django.utils.translation import gettext as _

# Never add pymdownx.snippets or pymdownx.b64: they read files from the server.
EXTENSIONS = [
    "abbr",
    "admonition",
    "attr_list",
    "def_list",
    "footnotes",
    "md_in_html",
    "tables",
    "toc",
    "pymdownx.details",
    "pymdownx.superfences",
    "pymdownx.tabbed",
    "pymdownx.highlight",
    "pymdownx.inlinehilite",
]
EXTENSION_CONFIGS = {
    "toc": {"permalink": "¶", "permalink_title": "Permanent link", "toc_depth": "2-4"},
    "pymdownx.tabbed": {"alternate_style": True},
    "pymdownx.highlight": {"use_pygments": True, "guess_lang": False, "css_class": "highlight"},
    "footnotes": {"BACKLINK_TITLE": "Back to reference %d"},
}

# Deeper nesting than this is never needed for prose, and Python-Markdown's
# recursive parsers hit RecursionError on it (a 500 without this check).
MAX_NESTING = 20
# Python-Markdown's link parser is quadratic in the brackets of one block:
# 8 KB of "[" takes 13 s. The cost of a body is about the sum, over its
# blocks, of the squared bracket count; real prose (even a page that is one
# long list of links) stays far below this budget, which caps a render at
# well under a second.
BRACKET_BUDGET = 2_000_000
# The raw-HTML preprocessor (the standard library's html.parser) rescans the
# rest of the text for every tag opener that is never closed by a ">", so
# the cost is about (unclosed openers) x (length).
UNCLOSED_TAG_BUDGET = 10_000_000
_TAG_OPENER = re.compile(r"<[A-Za-z!/?]")

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "caption",
    "code",
    "col",
    "colgroup",
    "dd",
    "del",
    "details",
    "div",
    "dl",
    "dt",
    "em",
    "figcaption",
    "figure",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "input",
    "ins",
    "kbd",
    "label",
    "li",
    "mark",
    "ol",
    "p",
    "pre",
    "q",
    "s",
    "samp",
    "small",
    "span",
    "strong",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
    "var",
}
ALLOWED_ATTRIBUTES = {
    "*": {"class", "id", "title", "lang"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height", "loading"},
    "input": {"type", "name", "checked"},
    "label": {"for"},
    "details": {"open"},
    "ol": {"start", "reversed"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align", "scope"},
    "col": {"span"},
}
URL_SCHEMES = {"http", "https", "mailto"}

# The identifiers the renderer itself produces: heading slugs, footnotes
# (fn:1, fnref:1, fnref2:1), tabs (__tabbed_1_2); anything else is dropped.
# (A heading such as "0.47.3 (August 24, 2025)" gets an id that starts with a digit.)
_ID_PATTERN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_:.\-]{0,120}$")
_TAB_NAME_PATTERN = re.compile(r"^__tabbed_\d{1,6}$")
_CLASS_PATTERN = re.compile(r"^[A-Za-z0-9_\- ]{0,200}$")


class MarkdownError(ValueError):
    """Raised when a body cannot be rendered safely (too large, too deep)."""


class RenderTooSlow(MarkdownError):
    """The render ran past its time budget and was stopped."""


@dataclass(frozen=True)
class Link:
    """An external link in a body: where it points, what it says, the sentence it is in."""

    url: str
    text: str
    context: str = ""


@dataclass(frozen=True)
class Rendered:
    """The output of one render: body HTML, table of contents, plain text, links."""

    html: str
    toc_html: str
    text: str
    links: tuple[Link, ...] = ()


# Maps a relative link or image path (as written in the source) to its URL on
# this site, or returns None to leave it alone.
LinkResolver = Callable[[str], str | None]


# Blocks whose text is a link's context (the sentence around it).
_CONTEXT_BLOCKS = {
    "p",
    "li",
    "td",
    "th",
    "dd",
    "dt",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "caption",
    "figcaption",
    "summary",
    "blockquote",
}
# Blocks inside those whose text is not part of the link's sentence.
_NESTED_BLOCKS = {"pre", "ul", "ol", "dl", "table", "div"}
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(\[])")
CONTEXT_MAX = 1000
# Marks the link's place in its block's text (a body never holds a NUL: check_renderable).
_LINK_MARK = "\x00"


class _LinkTreeprocessor(markdown.treeprocessors.Treeprocessor):
    """Rewrite relative links through the resolver and collect external links.

    It runs after inline parsing, when inline code and raw HTML are still
    held in Python-Markdown's stash (placeholders in the text):
    link texts are read with those put back, as the reader sees them.
    """

    def __init__(self, md: markdown.Markdown, resolver: LinkResolver | None) -> None:
        super().__init__(md)
        self.resolver = resolver
        self.links: list[Link] = []

    def run(self, root: Element) -> None:
        parents = {child: parent for parent in root.iter() for child in parent}
        for element in root.iter():
            attribute = {"a": "href", "img": "src"}.get(element.tag)
            url = element.get(attribute) if attribute else None
            if not url:
                continue
            if url.startswith(("http://", "https://")):
                if element.tag == "a":
                    text = self._text(element)
                    context = self._context(element, parents)
                    self.links.append(Link(url=url, text=text, context=context))
            elif self.resolver and not url.startswith(("#", "/", "mailto:")):
                resolved = self.resolver(url)
                if resolved:
                    element.set(attribute, resolved)

    def _text(self, element: Element, keep: Element | None = None) -> str:
        """An element's text as shown: stashed code and HTML put back, no markup, one line.

        With `keep`, nested code blocks, lists and tables that do not hold `keep` are left out.
        """
        raw = "".join(_itertext(element, keep)) if keep is not None else "".join(element.itertext())
        pieces = markdown.util.HTML_PLACEHOLDER_RE.split(raw)
        # split() alternates text and stash indexes: text, index, text, ...
        for position in range(1, len(pieces), 2):
            pieces[position] = self._unstash(int(pieces[position]))
        text = "".join(pieces).replace(markdown.util.AMP_SUBSTITUTE, "&")
        text = text.replace(markdown.util.STX, "").replace(markdown.util.ETX, "")
        return re.sub(r"\s+", " ", text).strip()

    def _unstash(self, index: int) -> str:
        blocks = self.md.htmlStash.rawHtmlBlocks
        if index >= len(blocks):
            return ""
        block = blocks[index]
        if not isinstance(block, str):
            block = markdown.serializers.to_html_string(block)
        return html_to_text(block)

    def _context(self, element: Element, parents: dict[Element, Element]) -> str:
        """The sentence holding the link in its paragraph, list item or table row."""
        block = parents.get(element)
        while block is not None and block.tag not in _CONTEXT_BLOCKS:
            block = parents.get(block)
        if block is None:
            return ""
        row = parents.get(block) if block.tag in {"td", "th"} else None
        if row is not None:
            # A glossary-like table: the row says what "see here" is about.
            whole = " — ".join(self._text(cell, keep=element) for cell in row)
        else:
            whole = self._text(block, keep=element)
        sentence = next((s for s in _SENTENCE_END.split(whole) if _LINK_MARK in s), whole)
        at = max(sentence.find(_LINK_MARK) - CONTEXT_MAX // 2, 0)
        return sentence.replace(_LINK_MARK, "")[at : at + CONTEXT_MAX].strip()


def _itertext(element: Element, keep: Element) -> Iterator[str]:
    """Like itertext(), skipping nested blocks (code, lists, tables) that do not hold `keep`."""
    if element.text:
        yield element.text
    for child in element:
        if child is keep:
            yield _LINK_MARK
        if child.tag not in _NESTED_BLOCKS or any(e is keep for e in child.iter()):
            yield from _itertext(child, keep)
        if child.tail:
            yield child.tail


def _filter_attribute(element: str, attribute: str, value: str) -> str | None:
    if attribute in {"id", "for"}:
        return value if _ID_PATTERN.match(value) else None
    if attribute == "class":
        return value if _CLASS_PATTERN.match(value) else None
    if element == "input":
        if attribute == "type":
            # Only tab switches are inputs; never a text box or a button.
            return "radio"
        if attribute == "name":
            return value if _TAB_NAME_PATTERN.match(value) else None
    return value


def sanitise(fragment: str) -> str:
    """Clean an HTML fragment down to what the renderer itself produces."""
    return nh3.clean(
        fragment,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        attribute_filter=_filter_attribute,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment (for search and summaries)."""
    text = html.unescape(nh3.clean(fragment, tags=set(), clean_content_tags={"script", "style"}))
    return re.sub(r"\s+", " ", text).strip()


def check_renderable(body: str) -> None:
    """Raise MarkdownError when `body` is too large or too deeply nested to render."""
    limit = settings.KB_MAX_BODY_CHARS
    if len(body) > limit:
        raise MarkdownError(
            _("The text is too long: %(size)s characters, at most %(limit)s allowed.")
            % {"size": f"{len(body):,}", "limit": f"{limit:,}"}
        )
    if "\x00" in body:
        raise MarkdownError(_("The text contains a NUL character."))
    if sum(block.count("[") ** 2 for block in re.split(r"\n\s*\n", body)) > BRACKET_BUDGET:
        raise MarkdownError(
            _("The text has too many '[' brackets in one paragraph to be rendered.")
        )
    unclosed = len(_TAG_OPENER.findall(body)) - body.count(">")
    if unclosed > 0 and unclosed * len(body) > UNCLOSED_TAG_BUDGET:
        raise MarkdownError(
            _("The text has too many unclosed '<' tags to be rendered; write &lt; for a '<'.")
        )
    depth = 0
    for line in body.splitlines():
        stripped = line.lstrip(" \t")
        indent = len(line[: len(line) - len(stripped)].expandtabs(4))
        quotes = len(stripped) - len(stripped.lstrip("> "))
        markers = len(re.match(r"^(?:(?:[-*+]|\d+[.)])\s+)*", stripped).group(0).split())
        depth = max(depth, indent // 2 + quotes + markers)
    if depth > MAX_NESTING:
        raise MarkdownError(
            _("The text is nested too deeply (more than %(max)s levels of lists or quotes).")
            % {"max": MAX_NESTING}
        )


# The time a render may take where no `timeout` is given, inside `render_budget`.
_budget: ContextVar[float | None] = ContextVar("render_budget", default=None)


@contextmanager
def render_budget(seconds: float) -> Iterator[None]:
    """Renders inside take up to `seconds` each, where none is given.

    Imports run from the command line, not in a web worker: a page that renders
    in 0.15 s must not be dropped because the machine is busy for a moment
    (KB_IMPORT_RENDER_TIMEOUT). A runaway page is still stopped.
    """
    token = _budget.set(seconds)
    try:
        yield
    finally:
        _budget.reset(token)


def render(
    body: str, *, resolve_link: LinkResolver | None = None, timeout: float | None = None
) -> Rendered:
    """Render Markdown to sanitised HTML, a sanitised table of contents and plain text.

    The work runs in a separate process stopped after `timeout` seconds
    (by default ``KB_RENDER_TIMEOUT``, or the `render_budget` around the call)
    or at its memory limit; either way
    the text is refused with a MarkdownError that says why. `resolve_link`
    is sent to that process, so it must be picklable (see topics/links.py).
    """
    from topics import render_worker

    check_renderable(body)
    if timeout is not None:
        budget = timeout
    elif (scoped := _budget.get()) is not None:
        budget = scoped
    else:
        budget = settings.KB_RENDER_TIMEOUT
    try:
        return render_worker.render_worker().render(body, resolve_link, timeout=budget)
    except render_worker.RenderTimeout as exc:
        raise RenderTooSlow(
            _(
                "The text took too long to render (over %(seconds)s seconds). Split very long "
                "runs of the same markup (emphasis, footnote references, inline code, table "
                "columns, tags) or shorten the text."
            )
            % {"seconds": f"{budget:g}"}
        ) from exc
    except render_worker.RenderOutOfMemory as exc:
        raise MarkdownError(_("The text needs too much memory to be rendered.")) from exc
    except render_worker.RenderTooDeep as exc:
        raise MarkdownError(_("The text is nested too deeply to be rendered.")) from exc
    except render_worker.RenderCrashed as exc:
        raise MarkdownError(_("The text could not be rendered (%(why)s).") % {"why": exc}) from exc


def render_unbounded(body: str, *, resolve_link: LinkResolver | None = None) -> Rendered:
    """Render with no checks and no time limit: only for the render process itself."""
    md = markdown.Markdown(extensions=EXTENSIONS, extension_configs=EXTENSION_CONFIGS)
    links = _LinkTreeprocessor(md, resolve_link)
    # After "inline" (links exist) and before "toc"/"footnotes" add their own.
    md.treeprocessors.register(links, "kb_links", 19)
    raw = md.convert(body)
    body_html = sanitise(raw)
    toc_html = sanitise(md.toc) if getattr(md, "toc_tokens", None) else ""
    return Rendered(
        html=body_html,
        toc_html=toc_html,
        text=html_to_text(body_html),
        links=tuple(links.links),
    )


def markdownify(content: str) -> str:
    """django-markdownx's preview hook: the published rendering, or a readable error."""
    try:
        return render(content).html
    except MarkdownError as exc:
        return f'<p class="render-error">{html.escape(str(exc))}</p>'
