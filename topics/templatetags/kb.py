"""Template filters and tags of our own."""

from django import template

from topics.models.accounts import display_name as user_display_name
from topics.models.accounts import public_name, staff_role

register = template.Library()


@register.filter
def display_name(user, fallback: str = "") -> str:
    """A user's name as text, with the role of staff; `fallback` when there is no user."""
    if user is None:
        return fallback
    return user_display_name(user)


@register.inclusion_tag("_partials/user_name.html")
def user_name(user, fallback: str = "") -> dict:
    """A user's name with a role badge for staff; `fallback` when there is no user."""
    if user is None:
        return {"name": fallback, "role": ""}
    return {"name": public_name(user), "role": staff_role(user)}


@register.inclusion_tag("_partials/user_name.html")
def role_badge(user) -> dict:
    """Only the role badge (for a page that shows the name itself)."""
    return {"name": "", "role": staff_role(user)}
