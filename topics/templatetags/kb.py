"""Template filters and tags of our own."""

import re
from functools import lru_cache

from django import template
from django.template.defaultfilters import date as format_date
from django.utils import timezone, translation
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

from topics.models.accounts import display_name as user_display_name
from topics.models.accounts import public_name, staff_role

register = template.Library()


@register.filter
def display_name(user, fallback: str = "") -> str:
    """A user's name as text, with the role of staff; `fallback` when there is no user."""
    if user is None:
        return fallback
    return user_display_name(user)


# A name and, for staff, its role badge. Written here rather than in a template: lists of
# changes, revisions and input show one per row, and a template render each cost more
# than the rest of the row.
_BADGED = '{} <span class="status role-badge"><span class="visually-hidden">role: </span>{}</span>'


def _name_html(name: str, role: str) -> SafeString:
    return format_html(_BADGED, name, role) if role else conditional_escape(name)


@register.simple_tag
def user_name(user, fallback: str = "") -> SafeString:
    """A user's name with a role badge for staff; `fallback` when there is no user."""
    if user is None:
        return conditional_escape(fallback)
    return _name_html(public_name(user), staff_role(user))


@register.simple_tag
def role_badge(user) -> SafeString:
    """Only the role badge (for a page that shows the name itself)."""
    return _name_html("", staff_role(user))


@register.simple_tag
def nav_tree(nav, current=None) -> SafeString:
    """The navigation tree (`topics.navigation.Navigation`), `current` marked as this page."""
    return nav.tree_html(current)


@register.simple_tag
def time_element(value, display: str) -> SafeString:
    """`value` as a <time> element: machine-readable, and shown in the `display` date format."""
    if value is None:
        return mark_safe("")
    return _time_element(
        value, display, timezone.get_current_timezone_name(), translation.get_language()
    )


# Lists show one or two per row, and a date format costs more than the rest of a row:
# each is formatted once per process, time zone and language (the key names them).
@lru_cache(maxsize=4096)
def _time_element(value, display: str, zone: str, language: str | None) -> SafeString:
    local = timezone.template_localtime(value)  # as the date filter sees it in a template
    return format_html(
        '<time datetime="{}">{}</time>', format_date(local, "c"), format_date(local, display)
    )


# One row of recent changes. Written here rather than in the template: the page lists
# fifty, and the template's variable lookups cost more than the rest of the page.
_CHANGE_ROW = (
    '<tr class="change"><td>{}</td><td><a href="{}">{}</a></td><td>{}</td><td>{}</td>'
    '<td>{}</td><td><a href="{}">{}</a> · <a href="{}">history</a></td></tr>'
)
_CHANGE_SIZE = '<span title="{} word{} added, {} removed">+{} −{}</span>'


@register.simple_tag
def change_row(change) -> SafeString:
    """A row of recent changes (topics.views.changes): when, topic, author, message, size, links."""
    size = change.size
    words = (
        format_html(
            _CHANGE_SIZE,
            size.inserted,
            "" if size.inserted == 1 else "s",
            size.deleted,
            size.inserted,
            size.deleted,
        )
        if size
        else ""
    )
    return format_html(
        _CHANGE_ROW,
        time_element(change.created_at, "j M Y H:i"),
        change.topic_url,
        change.topic.title,
        user_name(change.author, change.author_name or "unknown"),
        change.message,
        words,
        change.url,
        "diff" if change.previous_id else "new page",
        change.history_url,
    )


# A start or end tag of sanitised HTML, or a comment. nh3 writes attribute values in
# double quotes and escapes "<" and ">" everywhere else, so every "<" starts a tag;
# the quoted values are still matched whole, so a "<table" inside one is never a tag.
_TAG = re.compile(
    r'<!--.*?-->|<(/?)([a-zA-Z][a-zA-Z0-9]*)((?:\s+[^\s"\'=<>/]+(?:="[^"]*")?)*)\s*/?>', re.S
)


@lru_cache(maxsize=256)
def _readable(fragment: str) -> str:
    pieces: list[str] = []
    done = tables = codes = in_summary = 0
    for match in _TAG.finditer(fragment):
        closing, name, tag = match.group(1), (match.group(2) or "").lower(), match.group(0)
        if name == "summary":
            in_summary += -1 if closing else 1
        elif name == "a" and in_summary > 0:
            # A link inside a summary is a control inside a control: keyboards and screen
            # readers cannot reach it (axe: nested-interactive). Its text stays.
            tag = ""
        elif name == "table" and closing:
            tag += "</div>"
        elif name == "table":
            tables += 1
            tag = (
                '<div class="table-scroll" role="region" tabindex="0" '
                f'aria-label="Table {tables}">{tag}'
            )
        elif name == "pre" and not closing:
            codes += 1
            tag = f'<pre tabindex="0" role="region" aria-label="Code block {codes}"{tag[4:]}'
        pieces += [fragment[done : match.start()], tag]
        done = match.end()
    pieces.append(fragment[done:])
    return "".join(pieces)


@register.filter(is_safe=True)
def readable(fragment: SafeString) -> SafeString:
    """Stored, sanitised HTML made easier to read on any screen and with any device.

    Wide tables and code blocks scroll inside their own labelled region, which a
    keyboard can focus to scroll it; links inside a collapsible block's summary keep
    their text only. Only fixed attributes and tags are added, so the HTML stays as
    safe as it was stored (pass it only HTML that is already sanitised).
    """
    return mark_safe(_readable(str(fragment)))  # noqa: S308
