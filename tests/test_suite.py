"""The test suite's own machinery: groups on workers, and a clean database after a flush."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command

from tests.database import restore_migrated_rows
from topics.models import StakeholderGroup
from topics.roles import EDITORS, STAKEHOLDERS


def test_under_make_test_this_module_runs_whole_on_one_worker(request):
    """pytest 9.2 silently undid xdist's groups (each module's fixtures were built on
    both workers and a whole run took longer); this fails if that ever comes back."""
    if not getattr(request.config.option, "loadgroup", False):
        pytest.skip("runs under make test (-n ... --dist loadgroup)")
    assert request.node.nodeid.endswith("@tests.test_suite")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_after_a_flush_the_rows_the_migrations_wrote_come_back(request):
    roles = {EDITORS, STAKEHOLDERS, "Maintainers"}
    groups = StakeholderGroup.objects.count()
    editors_may = Group.objects.get(name=EDITORS).permissions.count()
    assert roles <= set(Group.objects.values_list("name", flat=True)) and groups and editors_may
    # What Django does after every transactional test.
    call_command("flush", verbosity=0, interactive=False)
    assert not Group.objects.exists() and not StakeholderGroup.objects.exists()
    assert Permission.objects.exists()  # post_migrate made new ones, under new ids

    restore_migrated_rows(request.config)

    assert roles <= set(Group.objects.values_list("name", flat=True))
    assert StakeholderGroup.objects.count() == groups
    assert Group.objects.get(name=EDITORS).permissions.count() == editors_may
