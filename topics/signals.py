"""Every write readers could see bumps the content version (the page cache's key),
and purges the pages showing it from a shared HTTP cache (topics/http_cache.py)."""

from django.apps import apps
from django.db.models.signals import m2m_changed, post_delete, post_save

from topics.page_cache import bump_version

# Never shown on a cached page: the change log itself, and what only its owner sees
# (follows, email choices, kept notifications, voter secrets). Display names and group
# names do show on cached pages (authors, participation), so profiles and groups count.
IGNORED = {"ContentChange", "TopicFollow", "EmailPreference", "Notification", "VoterSecret"}


def _changed(sender, instance=None, raw: bool = False, **kwargs) -> None:
    if not raw:  # fixtures being loaded are not edits
        # The row tells a shared HTTP cache which pages to purge (topics/http_cache.py).
        bump_version(about=[instance])


def connect() -> None:
    models = [m for m in apps.get_app_config("topics").get_models() if m.__name__ not in IGNORED]
    models += list(apps.get_app_config("taggit").get_models())
    for model in models:
        post_save.connect(_changed, sender=model, dispatch_uid=f"kb-bump-save-{model.__name__}")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"kb-bump-delete-{model.__name__}")
    round_candidates = apps.get_model("topics", "Round").candidates.through
    m2m_changed.connect(_changed, sender=round_candidates, dispatch_uid="kb-bump-candidates")
