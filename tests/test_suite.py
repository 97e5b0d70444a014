"""The test suite's own machinery: groups on workers, and a clean database after a flush."""

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command

from tests.database import is_test_database, restore_migrated_rows
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


@pytest.mark.parametrize(
    ("name", "is_test"),
    [
        ("test_kb", True),
        ("test_kb_gw1", True),
        ("file:memorydb_default?mode=memory&cache=shared", True),
        ("kb", False),  # PostgreSQL's own, named again once the session drops test_kb
        ("/srv/kb/var/db.sqlite3", False),
    ],
)
def test_the_restore_only_ever_touches_a_test_database(name, is_test):
    assert is_test_database(SimpleNamespace(settings_dict={"NAME": name})) is is_test
