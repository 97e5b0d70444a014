"""Anonymous readers read the replica; every other read, and every write, the primary.

With `DATABASE_REPLICA_URL` set, settings add a `replica` alias and this
router. Which requests may read the replica is decided once per request, before
any query, by `topics.middleware.ReadReplicaMiddleware` (and by the reader
cache in front of Django, topics/page_cache.py), and held in a ContextVar:

- GET and HEAD requests with no session cookie, no Authorization header and
  no pin cookie read the replica. Everyone signed in reads the primary: their
  pages are never cached, show their own drafts and votes, and are few next
  to anonymous readers; and the session row they carry is read on each request.
- A request that writes (any other method, or a GET whose view writes) pins
  the client to the primary for KB_REPLICA_PIN_SECONDS with a signed cookie,
  so the next pages show what it just wrote; reads after a write in the same
  request, and reads inside a transaction on the primary, go to the primary.
- Management commands, migrations, tests and anything else outside a request
  read the primary, as without a replica.
- A replica that cannot be reached is avoided for RETRY_SECONDS (each request
  does not wait for a connection attempt); its reads go to the primary.

Without `DATABASE_REPLICA_URL` neither this router nor the middleware is
installed, and nothing changes.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, connections

logger = logging.getLogger(__name__)

PRIMARY = "default"
REPLICA = "replica"
# The cookie that sends a client who has just written to the primary.
PIN_COOKIE = "kb_primary"
PIN_SALT = "kb.db_router.pin"
RETRY_SECONDS = 5.0


@dataclass
class Reads:
    """What one request may read, and what it did."""

    replica: bool
    wrote: bool = False
    used_replica: bool = False


_reads: ContextVar[Reads | None] = ContextVar("kb_reads", default=None)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


@contextmanager
def reading_replica(allowed: bool = True) -> Iterator[Reads]:
    """Within this block, reads may go to the replica (if `allowed` and there is one)."""
    reads = Reads(replica=allowed and replica_configured())
    token = _reads.set(reads)
    try:
        yield reads
    finally:
        _reads.reset(token)


class _ReplicaHealth:
    """This process's view of the replica: avoided until `retry_at` after a failure."""

    def __init__(self):
        self.lock = threading.Lock()
        self.down_since: float | None = None
        self.retry_at = 0.0


_health = _ReplicaHealth()


def replica_down(error: Exception | None = None) -> None:
    """Avoid the replica for RETRY_SECONDS (log once per outage) and drop its connection."""
    with _health.lock:
        _health.retry_at = time.monotonic() + RETRY_SECONDS
        if _health.down_since is None:
            _health.down_since = time.monotonic()
            logger.warning(
                "Database replica unreachable (%s): reading the primary until it is back.",
                str(error).strip() or "connection failed",
            )
    with suppress(DatabaseError):
        connections[REPLICA].close()


def replica_usable() -> bool:
    """Whether the replica answers (checked once per request, as Django's health checks do)."""
    if _health.down_since is not None and time.monotonic() < _health.retry_at:
        return False
    connection = connections[REPLICA]
    try:
        connection.close_if_health_check_failed()
        connection.ensure_connection()
    except DatabaseError as error:
        replica_down(error)
        return False
    if _health.down_since is not None:
        with _health.lock:
            if _health.down_since is not None:
                seconds = time.monotonic() - _health.down_since
                _health.down_since = None
                logger.warning("Database replica reachable again after %.1f s.", seconds)
    return True


def reads_replica() -> bool:
    """Whether a read made now goes to the replica."""
    reads = _reads.get()
    if reads is None or not reads.replica or reads.wrote:
        return False
    if connections[PRIMARY].in_atomic_block:
        return False
    if not replica_usable():
        return False
    reads.used_replica = True
    return True


class ReplicaRouter:
    """Reads to the replica when the request may read it; everything else to the primary."""

    def db_for_read(self, model, **hints) -> str:
        return REPLICA if reads_replica() else PRIMARY

    def db_for_write(self, model, **hints) -> str:
        reads = _reads.get()
        if reads is not None:
            reads.wrote = True
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints) -> bool | None:
        # The same database, read through two connections.
        if {obj1._state.db, obj2._state.db} <= {PRIMARY, REPLICA}:
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, model_name=None, **hints) -> bool:
        return db == PRIMARY
