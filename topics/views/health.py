"""Health for load balancers and container engines (answered by HealthCheckMiddleware).

/healthz is liveness: the process answers, touching nothing else, so a
database or Redis outage never makes an engine restart healthy processes.
/readyz is readiness: it
can serve: the database answers, the cache answers, and no migration is
waiting. 200 or 503, with JSON naming each part ("ok" or what failed). The
replica, when there is one, is reported but does not make the process
unready: its reads go to the primary while it is down.
"""

from __future__ import annotations

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse

from kb.db_router import REPLICA, replica_configured

_migrations_applied = False  # once true, true for the life of the process


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: 200 whenever this process can answer at all."""
    response = JsonResponse({"status": "ok"})
    response["Cache-Control"] = "no-store"
    response._has_been_logged = True
    return response


def database_answers(alias: str) -> bool:
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        connections[alias].close()
        return False
    return True


def cache_answers() -> bool:
    ping = getattr(cache, "ping", None)
    if ping is not None:  # our Redis cache, whose get and set never raise
        return ping()
    try:
        cache.set("readyz", "1", 10)
        return cache.get("readyz") == "1"
    except Exception:  # any backend's own failure means the same: not ready
        return False


def migrations_applied() -> bool:
    global _migrations_applied
    if not _migrations_applied:
        executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
        _migrations_applied = not executor.migration_plan(executor.loader.graph.leaf_nodes())
    return _migrations_applied


def readyz(request: HttpRequest) -> JsonResponse:
    """200 when the database and cache answer and migrations are applied; 503 naming what fails."""
    checks: dict[str, str] = {}
    database = database_answers(DEFAULT_DB_ALIAS)
    checks["database"] = "ok" if database else "unavailable"
    if replica_configured():
        checks["replica"] = "ok" if database_answers(REPLICA) else "unavailable"
    checks["cache"] = "ok" if cache_answers() else "unavailable"
    if database:
        try:
            checks["migrations"] = "ok" if migrations_applied() else "unapplied"
        except DatabaseError:
            checks["migrations"] = "unknown"
    failed = [name for name, state in checks.items() if state != "ok" and name != "replica"]
    status = 503 if failed else 200
    response = JsonResponse({"status": "error" if failed else "ok", **checks}, status=status)
    response["Cache-Control"] = "no-store"
    # A balancer asks every few seconds: the fault is logged where it happens, once.
    response._has_been_logged = True
    return response
