"""Who may grant what: nobody hands out more than they hold.

Roles are Django groups (seeded by migration 0004). Superusers may do
anything. Anyone else who manages accounts (the Maintainers hold every
``auth`` permission) may only

- change an account holding no permission they lack (so never a superuser's),
- assign a group whose permissions they all hold,
- pick, for a group, permissions they hold,

and never sets superuser status, staff status or individual permissions:
staff status follows the staff roles instead (see ``staff_after``).
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.db.models import Q, QuerySet

STAKEHOLDERS = "Stakeholders"
EDITORS = "Editors"
MAINTAINERS = "Maintainers"
# Membership of one of these makes an account staff (it can open the admin).
STAFF_ROLES = (EDITORS, MAINTAINERS)
ROLES = (STAKEHOLDERS, *STAFF_ROLES)


def held_permissions(user) -> QuerySet[Permission]:
    """Every permission `user` holds, directly or through groups (all, for superusers)."""
    if user.is_superuser:
        return Permission.objects.all()
    return Permission.objects.filter(Q(user=user) | Q(group__user=user)).distinct()


def _lacked(actor) -> QuerySet[Permission]:
    return Permission.objects.exclude(pk__in=held_permissions(actor).values("pk"))


def assignable_groups(actor) -> QuerySet[Group]:
    """The groups `actor` may give to someone: those whose permissions they all hold."""
    if actor.is_superuser:
        return Group.objects.all()
    return Group.objects.exclude(permissions__in=_lacked(actor))


def can_manage_account(actor, account) -> bool:
    """Whether `actor` may change or delete `account`: it holds nothing `actor` lacks.

    Counted from the rows, not `get_all_permissions()`, so an inactive account
    that would regain its permissions on reactivation counts with them too.
    """
    if actor.is_superuser:
        return True
    if account.is_superuser:
        return False
    return not _lacked(actor).filter(Q(user=account) | Q(group__user=account)).exists()


def can_manage_group(actor, group: Group) -> bool:
    """Whether `actor` may change or delete `group`: it holds nothing `actor` lacks."""
    return actor.is_superuser or not group.permissions.filter(pk__in=_lacked(actor)).exists()


def staff_after(*, was_staff: bool, had_role: bool, has_role: bool) -> bool:
    """Staff status after a change of groups: joining a staff role grants it, leaving takes it.

    Without a change of staff role it stays as it was (a superuser may have set it by hand).
    """
    if has_role != had_role:
        return has_role
    return was_staff
