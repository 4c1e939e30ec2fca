"""The store's errors: each message says what happened and what to do."""

from __future__ import annotations


class StoreError(Exception):
    """Base class of the store's errors; the message says what happened."""


class StoreKeyError(StoreError, KeyError):
    """The key is unknown: its data expired or never existed (reload the page)."""

    def __str__(self) -> str:  # KeyError would print the repr of the message
        return str(self.args[0])


class StoreCorruptError(StoreError):
    """The bytes stored under a key cannot be read back."""


class StoreValueError(StoreError, ValueError):
    """The value cannot be stored: unsupported type or larger than the limit."""


class StoreUnavailableError(StoreError, ConnectionError):
    """Redis cannot be reached."""


class FakeRedisWarning(UserWarning):
    """The store runs on in-process fakeredis: fine for development only."""
