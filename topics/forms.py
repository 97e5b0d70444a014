"""Forms: validation and error messages for everything users write."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from markdownx.widgets import AdminMarkdownxWidget

from topics.markdown import MarkdownError, check_renderable
from topics.models import Topic
from topics.tagging import validate_tags


def clean_markdown(text: str) -> str:
    """Validate Markdown the way the renderer will see it; raise a form error, never a 500."""
    try:
        check_renderable(text)
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
