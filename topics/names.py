"""Rules for the names people choose: usernames that cannot pass for another, no fake roles.

A username is compared by its *skeleton*: NFKC, case-folded, accents dropped,
each character replaced by its Latin look-alike from Unicode's confusables
(via confusable-homoglyphs), then the common ASCII look-alikes folded
(``0``/``o``, ``1``/``l``/``i``, ``rn``/``m``, ``vv``/``w``). Two names with
the same skeleton look alike to a reader, so the second one is refused.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# Words that name a role on this site: a stakeholder calling themselves one impersonates staff.
ROLE_WORDS = ("admin", "administrator", "editor", "maintainer", "moderator", "staff", "superuser")
ASCII_LOOKALIKES = str.maketrans({"0": "o", "1": "l", "i": "l", "|": "l"})
ASCII_SEQUENCES = (("rn", "m"), ("vv", "w"))


@functools.cache
def _latin_lookalikes() -> dict[str, str]:
    """Each confusable character mapped to one ASCII character it looks like, if any.

    Loaded on first use: the table is about 1 MB of JSON that most requests never need.
    """
    from confusable_homoglyphs.confusables import confusables_data

    table = {}
    for char, homoglyphs in confusables_data.items():
        glyphs = (glyph["c"] for glyph in homoglyphs)
        ascii_glyphs = sorted(g.lower() for g in glyphs if len(g) == 1 and g.isascii())
        if ascii_glyphs and not char.isascii():
            table[char] = ascii_glyphs[0]
    return table


def skeleton(name: str) -> str:
    """What `name` looks like, reduced so that look-alike names compare equal."""
    text = unicodedata.normalize("NFKC", name)
    text = "".join(
        char for char in unicodedata.normalize("NFD", text) if not unicodedata.combining(char)
    )
    lookalikes = _latin_lookalikes()
    # Before and after case-folding: Greek Ε looks like E, its small ε like no Latin letter.
    text = "".join(lookalikes.get(char, char) for char in text).casefold()
    text = "".join(lookalikes.get(char, char) for char in text)
    for sequence, replacement in ASCII_SEQUENCES:
        text = text.replace(sequence, replacement)
    return text.translate(ASCII_LOOKALIKES)


def scripts(name: str) -> set[str]:
    """The writing systems of `name`'s letters (digits and punctuation are common to all)."""
    from confusable_homoglyphs.categories import unique_aliases

    return set(unique_aliases(name)) - {"COMMON"}


def validate_username(username: str, *, exclude_pk: int | None = None) -> str:
    """Refuse a username that mixes alphabets or looks like an existing one; return it NFKC."""
    username = unicodedata.normalize("NFKC", username)
    wanted = skeleton(username)
    # Every existing name is compared; signing up is rate-limited and costs a
    # password hash, which is far more than this loop over usernames.
    others = get_user_model().objects.exclude(pk=exclude_pk).values_list("username", flat=True)
    for other in others.iterator(chunk_size=2000):
        if skeleton(other) == wanted:
            raise ValidationError(
                _(
                    "This username looks too much like an existing username (letters that "
                    "look the same, or differ only in case): choose another."
                ),
                code="confusable",
            )
    found = scripts(username)
    if len(found) > 1:
        raise ValidationError(
            _(
                "This username mixes letters from different alphabets (%(scripts)s), so it "
                "could pass for another one: use letters from one alphabet."
            )
            % {"scripts": ", ".join(sorted(name.title() for name in found))},
            code="mixed_scripts",
        )
    return username


# Characters that reorder the text around them ("Ed\u202eroti" is shown as another name):
# overrides, embeddings and isolates. The direction marks (LRM, RLM, ALM) only settle
# how a mixed name reads, and right-to-left names often carry them: they are kept.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Letters and symbols that are drawn as nothing (Hangul fillers, the blank Braille cell).
BLANK_LOOKING = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def visible(name: str) -> str:
    """`name` without what a reader cannot see: format characters (zero-width spaces and
    joiners, soft hyphens, bidi controls) and letters drawn as nothing."""
    return "".join(
        char for char in name if unicodedata.category(char) != "Cf" and char not in BLANK_LOOKING
    )


def _words(name: str) -> list[str]:
    # Split camelCase too, so "EditorEd" is read as "Editor Ed".
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", unicodedata.normalize("NFKC", visible(name)))
    words = [word for word in re.split(r"[\W_]+", skeleton(spaced)) if word]
    # Letters spaced out ("E d i t o r") read as the word they spell.
    runs = re.findall(r"(?:\b\w\b ?){3,}", " ".join(words))
    return words + [run.replace(" ", "") for run in runs]


ROLE_SKELETONS = {skeleton(word): word for word in ROLE_WORDS}


def claimed_role(name: str) -> str:
    """The role word `name` contains (compared by look, in any case), or ""."""
    for word in _words(name):
        for candidate in (word, word.removesuffix("s")):
            if candidate in ROLE_SKELETONS:
                return ROLE_SKELETONS[candidate]
    return ""


def validate_public_name(name: str, *, is_staff: bool) -> str:
    """Refuse a name that shows nothing, reorders its letters, claims a role its owner
    does not have (staff show a badge instead), or reads as a staff member's name."""
    if not any(char.isalnum() for char in visible(name)):
        raise ValidationError(
            _("A name needs at least one letter or digit that readers can see."), code="blank"
        )
    if BIDI_CONTROLS & set(name):
        raise ValidationError(
            _("This name contains a character that changes the order its letters are shown in."),
            code="bidi",
        )
    role = claimed_role(name)
    if role and not is_staff:
        raise ValidationError(
            _(
                "“%(word)s” is a role on this site: choose a name without it. "
                "Editors and maintainers are marked with a badge next to their names."
            )
            % {"word": role.title()},
            code="role_word",
        )
    if not is_staff and _reads_as_staff(name):
        raise ValidationError(
            _("This name looks like an editor's or maintainer's name here: choose another."),
            code="staff_name",
        )
    return name


def _reads_as_staff(name: str) -> bool:
    """True when `name` reads as a staff member's display name: the same letters once case,
    compatibility forms, invisible characters and spacing are set aside. (Look-alike
    letters are not compared: "Marla" and "Maria" are different people.)"""

    def reading(text: str) -> str:
        return " ".join(unicodedata.normalize("NFKC", visible(text)).casefold().split())

    wanted = reading(name)
    from topics.models import Profile

    staff = Profile.objects.filter(user__is_staff=True).values_list("display_name", flat=True)
    return any(reading(their) == wanted for their in staff.iterator())
