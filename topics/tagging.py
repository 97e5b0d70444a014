"""Tag names: one place that normalises and validates them."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from taggit.utils import _parse_tags

MAX_TAG_LENGTH = 50
MAX_TAGS = 20
_TAG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9 ._+#-]*$")


def normalise_tag(name: str) -> str:
    """Lower-case, trimmed, inner whitespace collapsed: "  Python  C " -> "python c"."""
    return " ".join(name.split()).lower()


def parse_tags(text: str) -> list[str]:
    """Split a tag string the way taggit does, then normalise and de-duplicate."""
    seen: dict[str, None] = {}
    for name in _parse_tags(text or ""):
        normalised = normalise_tag(name)
        if normalised:
            seen.setdefault(normalised, None)
    return list(seen)


def tags_string(names) -> str:
    """Tag names as one string that `parse_tags` reads back as the same names (sorted).

    A name with a space or a comma is quoted: bare, a lone "python c" would read
    back as two tags.
    """
    return ", ".join(
        f'"{name}"' if ("," in name or " " in name) else name for name in sorted(names)
    )


def validate_tags(names: list[str]) -> list[str]:
    """Return normalised names, or raise ValidationError saying which tag is wrong and why."""
    cleaned = [normalise_tag(name) for name in names if normalise_tag(name)]
    if len(cleaned) > MAX_TAGS:
        raise ValidationError(_("At most %(max)d tags.") % {"max": MAX_TAGS})
    for name in cleaned:
        if len(name) > MAX_TAG_LENGTH:
            raise ValidationError(
                _("The tag “%(tag)s…” is too long: at most %(max)d characters.")
                % {"tag": name[:20], "max": MAX_TAG_LENGTH}
            )
        if not _TAG_PATTERN.match(name):
            raise ValidationError(
                _(
                    "The tag “%(tag)s” may use only letters, digits, spaces and . _ + # -, "
                    "starting with a letter or digit."
                )
                % {"tag": name}
            )
    return list(dict.fromkeys(cleaned))
