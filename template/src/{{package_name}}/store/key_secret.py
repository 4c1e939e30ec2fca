"""The secret store keys are made with, and its renewal when Redis loses it.

A key is an HMAC-SHA256 of the stored bytes under a server secret
(`STORE_KEY_SECRET`, else `SECRET_KEY`, else a random secret kept in Redis for every
process that shares it). With a secret kept in Redis, each round trip also checks
that it is still the one the keys were made with. `KeySecret` is that part of
`RedisStore` (its base class, in a file of its own to keep each file small).
"""

from __future__ import annotations

import hmac
import secrets
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import redis

from ..settings import MIN_SECRET_LENGTH, Settings
from .byte_bounded_cache import ByteBoundedCache
from .errors import StoreError

# What a configured secret is specialised to: store keys never equal anything else
# made with SECRET_KEY.
_KEY_CONTEXT = b"redis_store keys"
T = TypeVar("T")


class Rekeyed(StoreError):
    """The key secret kept in Redis changed under an operation (another process made
    a new one after Redis lost it): the operation runs again with the new one."""


@dataclass(frozen=True)
class Keys:
    """What store keys are made with, and where their values live in Redis."""

    secret: bytes  # the HMAC key
    namespace: str  # in every value's Redis name: one per secret
    shared: bytes | None = None  # the random secret kept in Redis, if that is it

    @classmethod
    def of(cls, secret: bytes, shared: bytes | None = None) -> Keys:
        key = hmac.digest(secret, _KEY_CONTEXT, "sha256")
        namespace = hmac.digest(key, b"namespace", "sha256").hex()[:16]
        return cls(key, namespace, shared)

    def key(self, data: bytes) -> str:
        """The key of stored bytes `data` (the OpenSSL HMAC releases the GIL)."""
        return hmac.digest(self.secret, data, "sha256").hex()


class KeySecret:
    """The key secret of a `RedisStore`: its base class, which provides the rest."""

    if TYPE_CHECKING:  # what RedisStore provides
        _keys: Keys | None
        _keys_lock: threading.Lock
        _cache: ByteBoundedCache

        @property
        def settings(self) -> Settings: ...

        def _connect(self) -> redis.Redis: ...

        def _redis(self) -> AbstractContextManager[None]: ...

    def _keyed(self, operation: Callable[[Keys], T]) -> T:
        """`operation(keys)`; once more, with the new keys, if it found that another
        process renewed the secret kept in Redis (after Redis lost it)."""
        try:
            return operation(self._current_keys())
        except Rekeyed:
            return operation(self._current_keys())

    def _current_keys(self) -> Keys:
        keys = self._keys
        if keys is None:
            settings = self.settings
            with self._keys_lock:
                if self._keys is None:
                    secret = settings.store_key_secret or settings.secret_key
                    # A short SECRET_KEY (e.g. "dev") would make keys guessable:
                    # then the secret kept in Redis, as if none were set.
                    if secret and len(secret) >= MIN_SECRET_LENGTH:
                        self._keys = Keys.of(secret.encode())
                    else:
                        self._keys = self._shared_keys(secrets.token_hex(32).encode())
                keys = self._keys
        return keys

    def _secret_name(self) -> str:
        return f"{self.settings.store_prefix}:key-secret"

    def _shared_keys(self, offer: bytes) -> Keys:
        """The keys of the secret kept in Redis, which is `offer` if there was none.

        With no secret configured, every process sharing a Redis agrees on this one,
        which only Redis' clients can read (who can read the data anyway)."""
        name = self._secret_name()
        with self._redis():
            pipe = self._connect().pipeline(transaction=False)
            pipe.set(name, offer, nx=True)  # no TTL: volatile-* eviction keeps it
            pipe.get(name)
            _, stored = pipe.execute()
        secret = stored or offer  # deleted in between: the next round trip says so
        return Keys.of(secret, shared=secret)

    def _round_trip(self, keys: Keys, command: Callable[[Any], Any]) -> Any:
        """What `command(client)` returns. With a secret kept in Redis, the same round
        trip checks it is still `keys`'s: raises `Rekeyed` if it changed."""
        client = self._connect()
        with self._redis():
            if keys.shared is None:
                return command(client)
            pipe = client.pipeline(transaction=False)
            command(pipe)
            pipe.get(self._secret_name())
            result, stored = pipe.execute()
        if stored != keys.shared:
            self._renew_keys(keys, stored)
        return result

    def _renew_keys(self, seen: Keys, stored: bytes | None) -> None:
        """Redis does not hold `seen`'s secret: it lost it (offer it back) or another
        process made a new one (use it). Raise `Rekeyed` if the keys changed."""
        assert seen.shared is not None  # only a secret kept in Redis is checked
        with self._keys_lock:
            if self._keys is seen:
                renewed = (
                    self._shared_keys(seen.shared)
                    if stored is None
                    else Keys.of(stored, shared=stored)
                )
                if renewed.shared != seen.shared:
                    self._keys = renewed
                    # Values cached under the old keys: no page can name them now.
                    self._cache.clear()
            current = self._keys
        if current is not seen:
            raise Rekeyed(
                "the store's key secret in Redis changed twice in one request (Redis "
                "lost its data?); reload the page"
            )
