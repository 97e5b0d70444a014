from django.apps import AppConfig
from django.core import checks


class TopicsConfig(AppConfig):
    name = "topics"
    verbose_name = "Knowledge base"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import pre_delete

        from topics import signals
        from topics.checks import rate_limit_cache_is_shared
        from topics.models import Topic
        from topics.models.voting import keep_closed_rounds_candidates

        signals.connect()
        pre_delete.connect(
            keep_closed_rounds_candidates, sender=Topic, dispatch_uid="kb-closed-round-candidates"
        )
        checks.register(rate_limit_cache_is_shared, checks.Tags.caches)
