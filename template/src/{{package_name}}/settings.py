"""Settings, read only from the environment (never from files in the repo)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class SettingsError(ValueError):
    """An environment variable holds a value the app cannot use."""


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a whole number") from None
    if not low <= value <= high:
        raise SettingsError(f"{name}={value} is out of range ({low}..{high})")
    return value


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None:
        return default
    if raw.strip().lower() in _TRUE:
        return True
    if raw.strip().lower() in _FALSE:
        return False
    raise SettingsError(f"{name}={raw!r} is not a boolean (use 1/0, true/false)")


def _redis_url(env: Mapping[str, str]) -> str | None:
    raw = env.get("REDIS_URL", "").strip()
    if not raw:
        return None
    if not raw.startswith(("redis://", "rediss://", "unix://")):
        scheme = raw.split("://", 1)[0] if "://" in raw else raw[:12]
        raise SettingsError(
            f"REDIS_URL must start with redis://, rediss:// or unix:// (got {scheme!r})"
        )
    return raw


@dataclass(frozen=True)
class Settings:
    """What the app reads from the environment.

    - `PORT`: port of the development server (default 8050).
    - `DEBUG`: Dash debug mode with hot reload (default off).
    - `REDIS_URL`: Redis for `redis_store` (redis://, rediss://, unix://); unset means
      in-process fakeredis, for development only.
    - `STORE_TTL_SECONDS`: how long stored data lives unused (default 24 h).
    - `STORE_CACHE_MB`: per-process cache of decoded values (default 256 MiB).
    - `STORE_MAX_VALUE_MB`: largest value the store accepts (default 512, Redis' cap).
    - `STORE_PREFIX`: namespace of the store's Redis keys (default `dash-aio`).
    - `SECRET_KEY`: Flask's secret key; unset means a random key per process.
    - `MAX_REQUEST_MB`: largest request body the server reads (default 100 MiB: an
      upload of 50 MiB travels base64-encoded, ~67 MiB); larger ones get 413.
    """

    port: int = 8050
    debug: bool = False
    redis_url: str | None = None
    store_ttl_seconds: int = 24 * 3600
    store_cache_mb: int = 256
    store_max_value_mb: int = 512
    store_prefix: str = "dash-aio"
    secret_key: str | None = None
    max_request_mb: int = 100

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read settings from `env` (default: `os.environ`); raise `SettingsError`."""
        env = os.environ if env is None else env
        prefix = env.get("STORE_PREFIX", cls.store_prefix)
        if not prefix or not prefix.replace("-", "").replace("_", "").isalnum():
            raise SettingsError(
                f"STORE_PREFIX={prefix!r} must be letters, digits, '-' or '_'"
            )
        return cls(
            port=_int(env, "PORT", cls.port, 1, 65535),
            debug=_bool(env, "DEBUG", cls.debug),
            redis_url=_redis_url(env),
            store_ttl_seconds=_int(
                env, "STORE_TTL_SECONDS", cls.store_ttl_seconds, 1, 365 * 24 * 3600
            ),
            store_cache_mb=_int(env, "STORE_CACHE_MB", cls.store_cache_mb, 0, 2**20),
            store_max_value_mb=_int(
                env, "STORE_MAX_VALUE_MB", cls.store_max_value_mb, 1, 512
            ),
            store_prefix=prefix,
            secret_key=env.get("SECRET_KEY") or None,
            max_request_mb=_int(env, "MAX_REQUEST_MB", cls.max_request_mb, 1, 4096),
        )
