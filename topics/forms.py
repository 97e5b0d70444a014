"""Forms: validation and error messages for everything users write."""

import json
import re
from dataclasses import astuple

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _
from markdownx.widgets import AdminMarkdownxWidget, MarkdownxWidget

from topics.diffing import normalise_newlines
from topics.markdown import MarkdownError, render
from topics.merging import has_conflict_markers
from topics.models import (
    EmailPreference,
    Feedback,
    Profile,
    ReferenceSuggestion,
    Section,
    StakeholderGroup,
    Topic,
)
from topics.names import validate_public_name, validate_username
from topics.tagging import parse_tags, validate_tags


def clean_markdown(text: str) -> str:
    """Render the text within its budget; raise a form error (never a 500) if it cannot be.

    Browsers send a text area's lines ending in CRLF: the text is kept with LF, as
    imported and merged texts are, so the same words are stored the same way.
    """
    text = normalise_newlines(text)
    try:
        render(text)
    except MarkdownError as exc:
        raise ValidationError(str(exc)) from exc
    return text


def clean_plain_title(title: str) -> str:
    """A title: no control characters, not only spaces."""
    if any(ord(char) < 32 for char in title):
        raise ValidationError(_("The title contains a control character."))
    title = " ".join(title.split())
    if not title:
        raise ValidationError(_("The title cannot be only spaces."))
    return title


class SeenRevisionField(forms.IntegerField):
    """The published revision a page was built from (hidden), so a change published in
    between is noticed instead of overwritten (workflow.check_unchanged)."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        super().__init__(required=False, min_value=1, max_value=2**63 - 1, **kwargs)


def rebound(form: forms.Form, **values) -> forms.Form:
    """`form` bound again to what was typed, with `values` in place of some of it.

    After PublishedMeanwhile a page shows the newer text and says so (`seen` moves
    on to it), keeping everything the editor typed.
    """
    data = form.data.copy()
    for name, value in values.items():
        data[form.add_prefix(name)] = "" if value is None else str(value)
    return type(form)(data, form.files, prefix=form.prefix, initial=form.initial)


CONFLICT_LEFT = _(
    "This still holds a conflict (between <<<<<<< and >>>>>>>): keep the right words from "
    "each side and remove the marker lines."
)


class TopicAdminForm(forms.ModelForm):
    """A maintainer's direct edit: refused, with the newer text merged in, if another version
    was published after the page was opened (nothing typed is lost, nothing published dropped)."""

    seen = SeenRevisionField()
    # The place and state the page was opened on, so that one maintainer's save does not
    # quietly undo another's archive, move or rename made meanwhile.
    seen_fields = forms.CharField(required=False, widget=forms.HiddenInput)
    PLACE_FIELDS = ("slug", "status", "section", "parent", "order", "nav_title", "is_home")
    # The text the page was opened on. A draft's or an archived topic's text is saved with
    # no revision, so another maintainer's save made meanwhile is merged in from this,
    # never overwritten unseen.
    seen_text = forms.CharField(required=False, widget=forms.HiddenInput)
    TEXT_FIELDS = ("title", "summary", "body", "tags")

    class Meta:
        model = Topic
        fields = [
            "title",
            "slug",
            "status",
            "summary",
            "body",
            "tags",
            "section",
            "parent",
            "order",
            "nav_title",
            "is_home",
            "created_at",
            "updated_at",
        ]
        widgets = {"body": AdminMarkdownxWidget}

    def clean_title(self) -> str:
        return clean_plain_title(self.cleaned_data["title"])

    def clean_body(self) -> str:
        return clean_markdown(self.cleaned_data["body"])

    def clean_tags(self):
        return validate_tags(self.cleaned_data.get("tags") or [])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["seen"].initial = self.instance.current_revision_id
        self.fields["seen_fields"].initial = json.dumps(self._place(self.instance))
        # Markdown's first line may be indented (a code block): stripped, it became prose.
        self.fields["body"].strip = False
        if self.instance.pk:
            self.fields["seen_text"].initial = self._text_field(self.instance)

    @staticmethod
    def _text_field(topic: Topic) -> str:
        from topics.services import workflow

        # Not \u-escaped: with it, a long non-ASCII body and this copy outgrew a request.
        return json.dumps(astuple(workflow.Text.of_topic(topic)), ensure_ascii=False)

    def _opened_text(self, cleaned):
        """The text the page was opened on, or None if the page did not write it."""
        from topics.services import workflow

        try:
            values = json.loads(cleaned.get("seen_text") or "null")
        except (ValueError, RecursionError):
            return None
        if not (
            isinstance(values, list)
            and len(values) == len(self.TEXT_FIELDS)
            and all(isinstance(value, str) for value in values)
        ):
            return None
        return workflow.Text(*values)

    def _typed_text(self, cleaned):
        from topics.services import workflow

        return workflow.Text(
            cleaned["title"],
            cleaned.get("summary", ""),
            cleaned["body"],
            self.data.get(self.add_prefix("tags"), ""),  # as typed, not as tag objects
        )

    def _show_merged(self, merged, topic: Topic, **hidden) -> None:
        """Bind the page again to `merged`, its hidden fields moved on to `topic` as stored."""
        self.data = self.data.copy()
        for name in self.TEXT_FIELDS:
            self.data[self.add_prefix(name)] = getattr(merged, name)
        self.data[self.add_prefix("seen_text")] = self._text_field(topic)
        for name, value in hidden.items():
            self.data[self.add_prefix(name)] = value

    @staticmethod
    def _both_changed(conflicts: int) -> str:
        if not conflicts:
            return ""
        return (
            f" {conflicts} place{'s' if conflicts > 1 else ''} changed on both sides "
            "show both between marker lines: keep the right words, remove the markers."
        )

    def _place(self, topic: Topic) -> dict:
        """The place and state of `topic` as plain values (ids for related rows)."""
        return {
            name: getattr(topic, f"{name}_id" if name in ("section", "parent") else name)
            for name in self.PLACE_FIELDS
        }

    @staticmethod
    def _shown(topic: Topic, name: str) -> str:
        """The stored value of `name` as the form shows it (labels, yes/no, none)."""
        value = getattr(topic, name)
        if name == "status":
            return topic.get_status_display()
        if isinstance(value, bool):
            return "yes" if value else "no"
        return "none" if value in (None, "") else str(value)

    def _keep_changes_made_meanwhile(self, cleaned, stored: Topic) -> None:
        """Fields another maintainer changed since this page was opened: kept as they are now
        where this save left them alone; an error where both changed them."""
        text = cleaned.get("seen_fields") or ""
        try:  # the page wrote a few short values; anything else was not written by it
            opened = json.loads(text) if len(text) <= 2000 else None
        except (ValueError, RecursionError):
            return
        if not isinstance(opened, dict):
            return
        now = self._place(stored)
        self.data = self.data.copy()
        for name in self.PLACE_FIELDS:
            if name not in opened or now[name] == opened[name] or name not in cleaned:
                continue
            value = cleaned[name]
            submitted = value.pk if isinstance(value, models.Model) else value
            if submitted == now[name]:  # the same change on both sides
                continue
            if submitted == opened[name]:  # left alone here: the newer value stays
                cleaned[name] = getattr(stored, name)
                # ...and is what the page shows if it comes back with an error.
                self.data.pop(self.add_prefix(name), None)
                if isinstance(now[name], bool):
                    if now[name]:
                        self.data[self.add_prefix(name)] = "on"
                elif now[name] is not None:
                    self.data[self.add_prefix(name)] = str(now[name])
            else:
                self.add_error(
                    name,
                    "Someone changed this after you opened the page (it is now "
                    f"“{self._shown(stored, name)}”); your value is kept here: "
                    "save again to use it.",
                )
        self.data[self.add_prefix("seen_fields")] = json.dumps(now)

    def clean(self):
        cleaned = super().clean()
        stored = self._locked() if self.instance.pk else None
        if stored:
            self._keep_changes_made_meanwhile(cleaned, stored)
        for name in ("title", "summary", "body"):
            if has_conflict_markers(cleaned.get(name) or ""):
                self.add_error(name, CONFLICT_LEFT)
        if has_conflict_markers(self.data.get(self.add_prefix("tags"), "")):
            self.add_error("tags", CONFLICT_LEFT)  # read as tag names, the markers would be saved
        if stored and not self.errors:
            self._merge_if_published_meanwhile(cleaned, stored)
            self._merge_if_saved_meanwhile(cleaned, stored)
        return cleaned

    def _locked(self) -> Topic:
        """The topic as stored now, its row locked until the admin's transaction ends, so
        nothing is published or saved between these checks and this save."""
        rows = Topic.objects.filter(pk=self.instance.pk).order_by()
        if transaction.get_connection().in_atomic_block:  # the admin's view always is
            rows = rows.select_for_update(of=("self",))
        return rows.get()

    def _merge_if_published_meanwhile(self, cleaned, topic: Topic) -> None:
        """Refuse a save built on an older published text, merging the newer one into it."""
        from topics.services import workflow

        try:
            workflow.check_unchanged(topic, cleaned.get("seen"))
        except workflow.PublishedMeanwhile as error:
            merged, conflicts, _, current = workflow.merge_published_meanwhile(
                topic=topic,
                seen=error.seen,
                text=self._typed_text(cleaned),
                opened=self._opened_text(cleaned),
            )
            self._show_merged(merged, topic, seen=str(current.pk) if current else "")
            raise ValidationError(
                f"{error} Its changes are now merged into your text below."
                + self._both_changed(conflicts)
            ) from error

    def _merge_if_saved_meanwhile(self, cleaned, topic: Topic) -> None:
        """Refuse a save over a text another maintainer saved after this page was opened
        (with no revision: a draft's, an archived topic's), merging theirs into it."""
        from topics.services import workflow

        opened = self._opened_text(cleaned)
        if opened is None:
            return
        result = workflow.merge_saved_meanwhile(
            opened=opened, now=workflow.Text.of_topic(topic), text=self._typed_text(cleaned)
        )
        if result is None:
            return
        merged, conflicts = result
        self._show_merged(merged, topic)
        raise ValidationError(
            "Someone saved another text of this topic while you were working on it: nothing "
            "was saved. Their changes are now merged into your text below; check it, then "
            "save again." + self._both_changed(conflicts)
        )


# --- Accounts -----------------------------------------------------------------


class SignupForm(UserCreationForm):
    """A new stakeholder account with its profile."""

    email = forms.EmailField(help_text=_("For password resets and news about your contributions."))
    display_name = forms.CharField(max_length=150, help_text=_("Shown with your contributions."))
    affiliation = forms.CharField(
        max_length=200, required=False, help_text=_("A project or company, for example.")
    )
    group = forms.ModelChoiceField(
        queryset=StakeholderGroup.objects.all(),
        required=False,
        empty_label=_("None of these"),
        help_text=_("The stakeholder group you speak for."),
    )

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ["username", "email"]

    def clean_username(self) -> str:
        username = super().clean_username()  # Django's: no twin differing only in case
        return validate_username(username) if username else username

    def clean_display_name(self) -> str:
        name = clean_plain_title(self.cleaned_data["display_name"])
        return validate_public_name(name, is_staff=False)

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        if get_user_model().objects.filter(email__iexact=email).exists():
            raise ValidationError(_("An account with this email address already exists."))
        return email


class ProfileForm(forms.ModelForm):
    class Meta:
        model = Profile
        fields = ["display_name", "affiliation", "group"]

    def clean_display_name(self) -> str:
        name = clean_plain_title(self.cleaned_data["display_name"])
        if "display_name" not in self.changed_data:
            return name  # a name kept as it was is not checked again by newer rules
        return validate_public_name(name, is_staff=self.instance.user.is_staff)


# --- Contributions ------------------------------------------------------------


class RevisionForm(forms.Form):
    """The text of a suggestion: what the topic should say, and why."""

    title = forms.CharField(max_length=200)
    summary = forms.CharField(
        required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )
    body = forms.CharField(widget=MarkdownxWidget(attrs={"rows": 24}), strip=False)
    tags = forms.CharField(
        required=False, max_length=1000, help_text=_("Comma-separated, for example: abi, wheels")
    )
    message = forms.CharField(
        max_length=500,
        label=_("What did you change, and why?"),
        widget=forms.TextInput(attrs={"size": 80}),
    )

    def clean_title(self) -> str:
        return clean_plain_title(self.cleaned_data["title"])

    def clean_body(self) -> str:
        body = self.cleaned_data["body"]
        if not body.strip():
            raise ValidationError(_("The text cannot be empty."))
        return clean_markdown(body)

    def clean_tags(self) -> str:
        names = validate_tags(parse_tags(self.cleaned_data.get("tags", "")))
        return ", ".join(names)

    def clean_message(self) -> str:
        return clean_plain_title(self.cleaned_data["message"])

    def text(self):
        from topics.services.workflow import Text

        data = self.cleaned_data
        return Text(
            title=data["title"], summary=data["summary"], body=data["body"], tags=data["tags"]
        )


class SuggestEditForm(RevisionForm):
    """A suggested edit remembers which published revision it was written from."""

    base = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ProposalForm(RevisionForm):
    """A new topic: its section, and a text that starts from the section's template.

    The title lives only in its field, so a template's leading `# Title` is
    dropped; and a proposal may keep the template's headings but none of its
    placeholder prose (each paragraph of the template that is not a heading).
    """

    section = forms.ModelChoiceField(queryset=Section.objects.all(), required=False)
    field_order = ["section", "title", "summary", "body", "tags", "message"]
    TYPED_FIELDS = ("title", "summary", "body", "tags", "message")
    QUOTED_AT_MOST = 3
    # A first `# Title` (or `Title` over a `===` line), with the blank lines after it.
    _TITLE_HEADING = re.compile(
        r"\A(?:[ \t]*\n)*[ ]{0,3}(?:#[ \t]+[^\n]*|#|[^\n]*\S[^\n]*\n=+[ \t]*)(?:\n|\Z)(?:[ \t]*\n)*"
    )
    _HEADING = re.compile(r"#{1,6}(?:\s|$)")

    @classmethod
    def starting_text(cls, template: str) -> str:
        """A section's template as a proposal's text starts: without its title heading."""
        template = normalise_newlines(template)
        return cls._TITLE_HEADING.sub("", template, count=1)

    @classmethod
    def unchanged_prose(cls, template: str, body: str) -> list[str]:
        """The template's placeholder paragraphs that `body` still holds, word for word.

        A paragraph is a run of lines between blank lines or headings; it counts
        if it has a letter or digit. It is unchanged when its lines appear, in
        order and one after another, among the body's lines (spaces inside a
        line and line endings do not matter).
        """
        lines = cls._squeezed_lines(body)
        found = []
        for paragraph in cls._prose_paragraphs(cls.starting_text(template)):
            size = len(paragraph)
            first = paragraph[0]
            if any(
                lines[i] == first and lines[i : i + size] == paragraph
                for i in range(len(lines) - size + 1)
            ):
                found.append(" ".join(paragraph))
        return found

    @classmethod
    def _prose_paragraphs(cls, text: str) -> list[list[str]]:
        paragraphs, current = [], []
        for line in [*cls._squeezed_lines(text), ""]:
            if line and not cls._HEADING.match(line):
                current.append(line)
                continue
            if any(char.isalnum() for char in "".join(current)):
                paragraphs.append(current)
            current = []
        return paragraphs

    @staticmethod
    def _squeezed_lines(text: str) -> list[str]:
        return [" ".join(line.split()) for line in normalise_newlines(text).split("\n")]

    @classmethod
    def is_a_template(cls, body: str, templates: list[str]) -> bool:
        """Whether `body` is one of `templates` as it was loaded (nothing typed would be lost)."""
        squeezed = "\n".join(cls._squeezed_lines(body)).strip()
        return any(
            squeezed == "\n".join(cls._squeezed_lines(cls.starting_text(t))).strip()
            for t in templates
        )

    @classmethod
    def reloaded(cls, data) -> tuple["ProposalForm", str]:
        """The form again with what was typed, and the chosen section's template as its text
        when nothing typed would be lost or the writer asked for it; with a note saying which.
        """
        initial = {name: data.get(name, "") for name in cls.TYPED_FIELDS}
        try:
            section = cls.base_fields["section"].clean(data.get("section"))
        except ValidationError:
            section = None
        initial["section"] = section
        if section is None:
            return cls(initial=initial), _("Choose a section whose template to load.")
        if not section.topic_template.strip():
            note = _("“%(section)s” has no template; your text is kept.")
            return cls(initial=initial), note % {"section": section.title}
        templates = list(
            Section.objects.exclude(topic_template="").values_list("topic_template", flat=True)
        )
        body = initial["body"]
        if body.strip() and not data.get("replace_text") and not cls.is_a_template(body, templates):
            note = _(
                "Your text is kept. To replace it with the template of “%(section)s”, tick "
                "“Replace my text with the template” and load it again."
            )
            return cls(initial=initial), note % {"section": section.title}
        initial["body"] = cls.starting_text(section.topic_template)
        note = _("The template of “%(section)s” is loaded.")
        return cls(initial=initial), note % {"section": section.title}

    def clean(self):
        cleaned = super().clean()
        section, body = cleaned.get("section"), cleaned.get("body")
        if section is None or not body:
            return cleaned
        unchanged = self.unchanged_prose(section.topic_template, body)
        for paragraph in unchanged[: self.QUOTED_AT_MOST]:
            quoted = paragraph if len(paragraph) <= 160 else paragraph[:159] + "…"
            self.add_error("body", _("Replace the template’s text: “%(text)s”") % {"text": quoted})
        if len(unchanged) > self.QUOTED_AT_MOST:
            more = len(unchanged) - self.QUOTED_AT_MOST
            self.add_error(
                "body", _("… and %(count)d more paragraphs of the template.") % {"count": more}
            )
        return cleaned


class FeedbackForm(forms.ModelForm):
    class Meta:
        model = Feedback
        fields = ["body", "wants_public"]
        labels = {"body": _("Your feedback"), "wants_public": _("Show it publicly once accepted")}
        widgets = {"body": MarkdownxWidget(attrs={"rows": 8})}

    def clean_body(self) -> str:
        body = self.cleaned_data["body"]
        if len(body) > 10_000:
            raise ValidationError(_("Feedback is limited to 10,000 characters."))
        if not body.strip():
            raise ValidationError(_("The feedback cannot be empty."))
        return clean_markdown(body)


class ReferenceSuggestionForm(forms.ModelForm):
    # A web address typed without a scheme means https (Django 6's default). A text
    # input, not type="url": browsers refuse "example.org/page" before it is sent.
    url = forms.URLField(
        label=_("Web address"),
        max_length=1000,
        assume_scheme="https",
        help_text=_("For example peps.python.org/pep-0517/ (https:// is assumed)."),
        widget=forms.TextInput(
            attrs={
                "inputmode": "url",
                "autocomplete": "url",
                "autocapitalize": "none",
                "spellcheck": "false",
            }
        ),
    )
    # Shown to editors in the review queue: a few sentences, not a document.
    note = forms.CharField(
        required=False,
        max_length=2000,
        label=_("Note"),
        help_text=_("Why the topic should cite it (at most 2,000 characters)."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    class Meta:
        model = ReferenceSuggestion
        fields = ["url", "title", "kind", "note"]
        widgets = {"note": forms.Textarea(attrs={"rows": 3})}

    def clean_title(self) -> str:
        return clean_plain_title(self.cleaned_data["title"])

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        if not url.lower().startswith(("http://", "https://")):
            raise ValidationError(_("Give a web address starting with http:// or https://."))
        return url


# --- Review -----------------------------------------------------------------------


class DecisionForm(forms.Form):
    """An editor's decision on a suggestion: publish, ask for changes, or reject."""

    ACTIONS = [
        ("publish", _("Publish")),
        ("request_changes", _("Request changes")),
        ("reject", _("Reject")),
    ]
    action = forms.ChoiceField(choices=ACTIONS, widget=forms.RadioSelect)
    comment = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required to request changes or reject: the author reads it."),
    )

    def clean(self):
        data = super().clean()
        if (
            data.get("action") in {"request_changes", "reject"}
            and not data.get("comment", "").strip()
        ):
            self.add_error("comment", _("Say why: the author reads this."))
        return data


class MergeForm(RevisionForm):
    """The editor's merge of a suggestion that is behind with the text published since."""

    note = forms.CharField(required=False, max_length=500)
    seen = SeenRevisionField()
    message = None

    def clean(self):
        cleaned = super().clean()
        for name in ("title", "summary", "body", "tags"):
            if has_conflict_markers(cleaned.get(name) or ""):
                self.add_error(name, CONFLICT_LEFT)
        return cleaned


class RestoreForm(forms.Form):
    """An editor's reason for publishing an old text again (shown in the history)."""

    seen = SeenRevisionField()

    reason = forms.CharField(
        max_length=300,
        label=_("Why should this text come back?"),
        help_text=_("Readers see it in the history, as the new version's message."),
        widget=forms.TextInput(attrs={"size": 80}),
    )

    def clean_reason(self) -> str:
        return clean_plain_title(self.cleaned_data["reason"])


class EmailPreferenceForm(forms.ModelForm):
    """How often a person wants email about what they contribute to and follow."""

    class Meta:
        model = EmailPreference
        fields = ["frequency"]
        labels = {"frequency": _("Email me")}
        help_texts = {
            "frequency": _(
                "Decisions on your input, topics you follow and, for editors, new input to review."
            )
        }
        widgets = {"frequency": forms.RadioSelect}
