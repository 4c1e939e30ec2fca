"""The Redis clients a store makes for its settings: timeouts, retries, fakeredis.

`REDIS_URL` (redis://, rediss://, unix://) or, when unset, an in-process fakeredis
that warns once (it is not shared between processes).
"""

from __future__ import annotations

import warnings

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from ..settings import Settings, redact
from .errors import FakeRedisWarning, StoreError

# Writing a value may take longer than `STORE_TIMEOUT_MS`: its bytes must travel.
WRITE_TIMEOUT = 10.0


def clients_for(settings: Settings) -> tuple[redis.Redis, redis.Redis, str]:
    """The reading and the writing client for `settings`, and the URL they use."""
    url = settings.redis_url
    if url:
        timeout = settings.store_timeout_ms / 1000
        # A command whose connection Redis closed under it (a restart) is retried
        # once, at once, on a new one; a timeout is not: a paused Redis costs one
        # timeout, not several (whatever redis-py's default retries become).
        options = {
            "socket_connect_timeout": timeout,
            "health_check_interval": 30,
            "retry": Retry(NoBackoff(), 1, supported_errors=(redis.ConnectionError,)),
        }
        try:
            reader = redis.Redis.from_url(url, socket_timeout=timeout, **options)
            writer = redis.Redis.from_url(
                url, socket_timeout=max(timeout, WRITE_TIMEOUT), **options
            )
        except (ValueError, TypeError):  # their messages may quote a password
            raise StoreError(
                f"REDIS_URL={redact(url)} is not a valid Redis URL: check its host, "
                "port, database and parameters"
            ) from None
        return reader, writer, url
    import fakeredis

    warnings.warn(
        "REDIS_URL is not set: redis_store uses in-process fakeredis. Data is not "
        "shared between processes or workers and is lost on restart; set REDIS_URL "
        "in production.",
        FakeRedisWarning,
        stacklevel=4,
    )
    client = fakeredis.FakeRedis()
    return client, client, "fakeredis (in-process)"
