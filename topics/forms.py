"""Forms: validation and error messages for everything users write."""

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from markdownx.widgets import AdminMarkdownxWidget, MarkdownxWidget

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
    """Render the text within its budget; raise a form error (never a 500) if it cannot be."""
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


class TopicAdminForm(forms.ModelForm):
    class Meta:
        model = Topic
        fields = [
            "title", "slug", "status", "summary", "body", "tags", "section", "parent", "order",
            "nav_title", "is_home", "created_at", "updated_at",
        ]  # fmt: skip
        widgets = {"body": AdminMarkdownxWidget}

    def clean_title(self) -> str:
        return clean_plain_title(self.cleaned_data["title"])

    def clean_body(self) -> str:
        return clean_markdown(self.cleaned_data["body"])

    def clean_tags(self):
        return validate_tags(self.cleaned_data.get("tags") or [])


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
        max_length=500, label=_("What did you change, and why?"),
        widget=forms.TextInput(attrs={"size": 80}),
    )  # fmt: skip

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
    section = forms.ModelChoiceField(queryset=Section.objects.all(), required=False)
    field_order = ["section", "title", "summary", "body", "tags", "message"]


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
    # A web address typed without a scheme means https (Django 6's default).
    url = forms.URLField(max_length=1000, assume_scheme="https")

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
        required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required to request changes or reject: the author reads it."),
    )  # fmt: skip

    def clean(self):
        data = super().clean()
        if (
            data.get("action") in {"request_changes", "reject"}
            and not data.get("comment", "").strip()
        ):
            self.add_error("comment", _("Say why: the author reads this."))
        return data


class MergeForm(RevisionForm):
    """The editor's merge of a stale suggestion with the text published since."""

    note = forms.CharField(required=False, max_length=500)
    message = None

    def clean(self):
        cleaned = super().clean()
        for name in ("title", "summary", "body", "tags"):
            if has_conflict_markers(cleaned.get(name) or ""):
                self.add_error(
                    name,
                    _(
                        "This still holds a conflict (between <<<<<<< and >>>>>>>): keep the "
                        "right words from each side and remove the marker lines."
                    ),
                )
        return cleaned


class RestoreForm(forms.Form):
    """An editor's reason for publishing an old text again (shown in the history)."""

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
