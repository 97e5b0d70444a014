"""Accounts: signing up as a stakeholder and changing a profile, with their rules in one place."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import Group
from django.db import transaction

from topics.models import Profile, StakeholderGroup
from topics.roles import STAKEHOLDERS
from topics.services import notifications


@dataclass(frozen=True)
class ProfileChange:
    """The profile after a change, and whether it lost its verification."""

    profile: Profile
    needs_verification_again: bool


@transaction.atomic
def sign_up(
    *, user, display_name: str, affiliation: str, group: StakeholderGroup | None
) -> Profile:
    """Make a saved user a stakeholder with a profile; editors are told someone waits."""
    profile = Profile.objects.create(
        user=user, display_name=display_name, affiliation=affiliation, group=group
    )
    user.groups.add(Group.objects.get(name=STAKEHOLDERS))
    notifications.notify_editors_of_signup(profile=profile)
    return profile


@transaction.atomic
def change_profile(*, profile: Profile, by, **changes) -> ProfileChange:
    """Change a profile (on the site or in the admin) and keep its verification honest.

    A verification vouches for the group too: moving a verified stakeholder
    to another group makes them unverified until an editor checks again,
    whoever made the change.
    """
    locked = Profile.objects.select_for_update().get(pk=profile.pk) if profile.pk else None
    verified_group = locked.group_id if locked and locked.is_verified else None
    for name, value in changes.items():
        setattr(profile, name, value)
    again = bool(locked and locked.is_verified and profile.group_id != verified_group)
    if again:
        profile.verified_at = profile.verified_by = None
    profile.save()
    return ProfileChange(profile=profile, needs_verification_again=again)
