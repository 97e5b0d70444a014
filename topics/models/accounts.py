"""Stakeholders: who they are, which group they speak for, whether an editor verified them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from topics.models.site import ContentQuerySet


class StakeholderGroup(models.Model):
    """A constituency whose voice the knowledge base wants (data that maintainers edit)."""

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    order = models.PositiveIntegerField(default=0)

    objects = ContentQuerySet.as_manager()

    class Meta:
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class Profile(models.Model):
    """What a signed-in stakeholder tells us about themselves."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    display_name = models.CharField(max_length=150)
    affiliation = models.CharField(
        max_length=200, blank=True, help_text=_("A project or company, for example.")
    )
    group = models.ForeignKey(
        StakeholderGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    is_demo = models.BooleanField(
        default=False,
        editable=False,
        help_text=_("A demo account from load_demo; remove_demo deletes it."),
    )

    objects = ContentQuerySet.as_manager()

    class Meta:
        permissions = [("verify_stakeholder", "Can verify stakeholders")]

    def __str__(self) -> str:
        return self.display_name

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None


def public_name(user) -> str:
    """The name a user chose: their profile's name, else their full name, else their username.

    (Editors and maintainers created in the admin often have no profile.)
    """
    profile = getattr(user, "profile", None)
    return (profile.display_name if profile else "") or user.get_full_name() or user.get_username()


def staff_role(user) -> str:
    """The role a user's name is badged with: "maintainer" (superusers), "editor" (other staff).

    Read from the user row alone, so lists of names cost no extra query; staff
    status follows the Editors and Maintainers groups (see topics.roles).
    """
    if user is None or not user.is_active:
        return ""
    if user.is_superuser:
        return "maintainer"
    return "editor" if user.is_staff else ""


def display_name(user) -> str:
    """How a user is shown in text (feeds, the admin): the name, and the role of staff."""
    name, role = public_name(user), staff_role(user)
    return f"{name} ({role})" if role else name
