"""System checks of our own, shown by `manage.py check`, `runserver` and start.sh's check."""

from __future__ import annotations

from django.conf import settings
from django.core import checks

# Caches every worker and machine shares, with an atomic increment.
SHARED_CACHE_BACKENDS = {
    "django.core.cache.backends.redis.RedisCache",
    "kb.cache.TolerantRedisCache",
    "django.core.cache.backends.memcached.PyMemcacheCache",
    "django.core.cache.backends.memcached.PyLibMCCache",
    "django_redis.cache.RedisCache",
}


def rate_limit_cache_is_shared(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """Warn when rate limits count in a cache that each process keeps for itself.

    A warning, not an error: one process (a laptop, `runserver`, one worker) is
    limited correctly, and start.sh's `check --deploy --fail-level ERROR` still starts.
    """
    name = getattr(settings, "RATELIMIT_USE_CACHE", "default")
    backend = settings.CACHES.get(name, {}).get("BACKEND", "")
    if backend in SHARED_CACHE_BACKENDS:
        return []
    return [
        checks.Warning(
            f"Rate limits (sign-in attempts, forms, the admin) count per process: the "
            f"{name!r} cache is {backend.rsplit('.', 1)[-1]}, which no other worker sees, so "
            "each gunicorn worker or container allows the full rate again.",
            hint="Set REDIS_URL (or CACHE_URL) to a Redis shared by every process. With one "
            "process on purpose, silence it: SILENCED_SYSTEM_CHECKS=topics.W001.",
            id="topics.W001",
        )
    ]
