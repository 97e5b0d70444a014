from django.apps import AppConfig
from django.core import checks


class TopicsConfig(AppConfig):
    name = "topics"
    verbose_name = "Knowledge base"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from topics import signals
        from topics.checks import rate_limit_cache_is_shared

        signals.connect()
        checks.register(rate_limit_cache_is_shared, checks.Tags.caches)
