"""Template filters of our own."""

from django import template

from topics.models import display_name as user_display_name

register = template.Library()


@register.filter
def display_name(user, fallback: str = "") -> str:
    """A user's profile name, else their username; `fallback` when there is no user."""
    if user is None:
        return fallback
    return user_display_name(user)
