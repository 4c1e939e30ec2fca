"""Settings, read only from the environment (never from files in the repo)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote_plus, urlsplit

import redis

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
_SCHEME = re.compile(r"[a-z][a-z0-9+.-]{0,15}")
# Query parameters of a Redis URL whose values `redact` shows: none can hold a secret.
_HARMLESS = frozenset(
    {
        "db",
        "protocol",
        "socket_timeout",
        "socket_connect_timeout",
        "socket_keepalive",
        "health_check_interval",
        "max_connections",
        "retry_on_timeout",
        "ssl_cert_reqs",
        "ssl_check_hostname",
    }
)
# Shortest STORE_KEY_SECRET accepted: a guessable secret would make keys guessable.
MIN_SECRET_LENGTH = 16
# What `CSP_MODE` may be: the header the policy goes in, or none.
CSP_MODES = ("enforce", "report-only", "off")
# Longest `HSTS_SECONDS`: two years, what hstspreload.org recommends.
MAX_HSTS_SECONDS = 2 * 365 * 24 * 3600
# Source keywords of a Content-Security-Policy; quoted in a policy, accepted bare too
# (a quote is easy to lose in a .env file or a shell).
_CSP_KEYWORDS = frozenset(
    {
        "self",
        "none",
        "unsafe-inline",
        "unsafe-eval",
        "wasm-unsafe-eval",
        "unsafe-hashes",
        "strict-dynamic",
        "report-sample",
    }
)
_CSP_HASH = re.compile(r"'sha(?:256|384|512)-[A-Za-z0-9+/_-]+={0,2}'")
_CSP_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*:")
# scheme://host:port/path, every part but the host optional; `*.` or `*` as host.
_CSP_HOST = re.compile(
    r"(?:[a-z][a-z0-9+.-]*://)?(?:\*|(?:\*\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*)"
    r"(?::(?:\d{1,5}|\*))?(?:/[\w./%~!$&()*+=:@-]*)?",
    re.IGNORECASE | re.ASCII,
)
# The directives `CSP_EXTRA_SOURCES` may widen: what a page loads, sends or frames.
CSP_EXTENSIBLE = frozenset(
    {
        "default-src",
        "script-src",
        "style-src",
        "img-src",
        "font-src",
        "connect-src",
        "media-src",
        "worker-src",
        "frame-src",
        "manifest-src",
        "form-action",
    }
)


class SettingsError(ValueError):
    """An environment variable holds a value the app cannot use."""


def redact(url: str) -> str:
    """`url` without its secrets, safe for logs and messages: the password (or a
    user given alone) before the host, anything but digits where the port goes, and
    the value of every query parameter but a few harmless ones (`?password=`,
    `?username=`, in any case or encoding, show as `***`)."""
    scheme = url.split("://", 1)[0] if "://" in url else ""
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unclosed IPv6 bracket: nothing else is safe to show
        return f"{scheme}://***" if _SCHEME.fullmatch(scheme) else "***"
    if not parts.scheme or not scheme:
        return url  # no URL (e.g. "fakeredis (in-process)")
    path = parts.path
    if parts.scheme != "unix" and not re.fullmatch(r"/?\d*", path):
        path = "/***"  # a database is a number; anything else may be a typo'd secret
    shown = f"{parts.scheme}://{_redacted_netloc(parts.netloc)}{path}"
    if parts.query:
        shown += "?" + "&".join(map(_redacted_param, parts.query.split("&")))
    return shown + ("#***" if parts.fragment else "")


def _redacted_netloc(netloc: str) -> str:
    userinfo, at, host = netloc.rpartition("@")
    if at:
        user, colon, _ = userinfo.partition(":")
        userinfo = f"{user}:***" if colon else "***"  # alone, it may be a password
    name, colon, port = host.rpartition(":")
    if colon and not name.endswith("]") and "]" in port:
        name, colon, port = host, "", ""  # an IPv6 address without a port
    if colon and not port.isdigit():
        host = f"{name}:***"  # e.g. "user:password" with the "@host" forgotten
    return f"{userinfo}{at}{host}"


def _redacted_param(param: str) -> str:
    if not param:
        return param
    name, equals, _ = param.partition("=")
    if not equals:
        return "***"  # a bare word: perhaps a password pasted in the wrong place
    if unquote_plus(name).strip().lower() in _HARMLESS:
        return param
    return f"{name}=***" if re.fullmatch(r"[\w%.-]{1,64}", name) else "***=***"


def scrub(text: str, url: str) -> str:
    """`text` (e.g. an error message from Redis) with every part of `url` that
    `redact` hides replaced by `***`, however it is quoted."""
    for secret in sorted(_secrets_in(url), key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def _secrets_in(url: str) -> set[str]:
    """The parts of `url` that `redact` hides, as written and decoded."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return {url}
    if not parts.scheme or "://" not in url:
        return set()  # no URL (e.g. "fakeredis (in-process)")
    found = {parts.fragment}
    userinfo, at, host = parts.netloc.rpartition("@")
    if at:
        user, colon, password = userinfo.partition(":")
        found.add(password if colon else user)
    _, colon, port = host.rpartition(":")
    if colon and not port.isdigit() and "]" not in port:
        found.add(port)
    if parts.scheme != "unix" and not re.fullmatch(r"/?\d*", parts.path):
        found.add(parts.path.lstrip("/"))
    for param in parts.query.split("&"):
        name, equals, value = param.partition("=")
        if not equals:
            found.add(name)
        elif unquote_plus(name).strip().lower() not in _HARMLESS:
            found.add(value)
    found |= {unquote_plus(secret) for secret in found}
    return {secret for secret in found if secret}


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
        # Never echo the value: it may be a password pasted without its URL.
        scheme = raw.split("://", 1)[0] if "://" in raw else ""
        got = repr(scheme) if _SCHEME.fullmatch(scheme) else "no scheme"
        raise SettingsError(
            f"REDIS_URL must start with redis://, rediss:// or unix:// (got {got})"
        )
    try:  # what the store will do with it, short of connecting
        redis.ConnectionPool.from_url(raw).make_connection().disconnect()
    except (ValueError, TypeError):
        # redis-py's and urllib's messages may quote a misplaced password.
        raise SettingsError(
            f"REDIS_URL={redact(raw)} is not a valid Redis URL: check its host, "
            "port, database and parameters"
        ) from None
    return raw


def _secret(env: Mapping[str, str], name: str) -> str | None:
    raw = env.get(name) or None
    if raw is not None and len(raw) < MIN_SECRET_LENGTH:
        raise SettingsError(
            f"{name} is too short ({len(raw)} characters, at least "
            f"{MIN_SECRET_LENGTH}): use a long random string (openssl rand -hex 32)"
        )
    return raw


def _csp_source(name: str, raw: str, keywords: frozenset[str], hashes: bool) -> str:
    """One source expression of a Content-Security-Policy from `name`, its keyword
    quoted; anything else (a `;` or `,` that would start another directive or
    policy, a quote) is refused."""
    bare = raw.strip("'").lower()
    if bare in keywords:
        return f"'{bare}'"
    if bare in _CSP_KEYWORDS:  # not a host named so: a keyword out of its place
        raise SettingsError(f"{name}: '{bare}' cannot be used here")
    if hashes and _CSP_HASH.fullmatch(raw):
        return raw
    if raw == "*" or _CSP_SCHEME.fullmatch(raw) or _CSP_HOST.fullmatch(raw):
        return raw
    quoted = ", ".join(f"'{keyword}'" for keyword in sorted(keywords))
    raise SettingsError(
        f"{name}: {raw!r} is no source (an origin such as https://example.com or "
        f"https://*.example.com, a scheme such as https: or data:, or {quoted})"
    )


def _frame_ancestors(env: Mapping[str, str]) -> tuple[str, ...]:
    """`FRAME_ANCESTORS` as CSP sources: 'self', 'none' (alone) or origins."""
    raw = env.get("FRAME_ANCESTORS", "").strip()
    if not raw:
        return Settings.frame_ancestors
    sources = tuple(
        _csp_source("FRAME_ANCESTORS", token, frozenset({"self", "none"}), False)
        for token in raw.split()
    )
    if "'none'" in sources and len(sources) > 1:
        raise SettingsError(
            f"FRAME_ANCESTORS={raw!r}: 'none' cannot be listed with other sources"
        )
    return sources


def _csp_extra_sources(env: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """`CSP_EXTRA_SOURCES` as (directive, source) pairs, e.g.
    "img-src https://tiles.example.com; font-src https://fonts.gstatic.com"."""
    pairs: list[tuple[str, str]] = []
    keywords = _CSP_KEYWORDS - {"none"}  # 'none' would widen nothing
    for part in env.get("CSP_EXTRA_SOURCES", "").split(";"):
        if not part.strip():
            continue
        directive, *sources = part.split()
        directive = directive.lower()
        if directive == "frame-ancestors":
            raise SettingsError(
                "CSP_EXTRA_SOURCES: set who may frame the app with FRAME_ANCESTORS"
            )
        if directive not in CSP_EXTENSIBLE:
            raise SettingsError(
                f"CSP_EXTRA_SOURCES: {directive!r} is not a directive it can widen "
                f"(one of {', '.join(sorted(CSP_EXTENSIBLE))})"
            )
        if not sources:
            raise SettingsError(
                f"CSP_EXTRA_SOURCES: {directive!r} needs at least one source after it"
            )
        pairs.extend(
            (directive, _csp_source("CSP_EXTRA_SOURCES", source, keywords, True))
            for source in sources
        )
    return tuple(pairs)


def _choice(
    env: Mapping[str, str], name: str, default: str, choices: tuple[str, ...]
) -> str:
    """One of `choices` (any case), `default` when unset or empty."""
    raw = env.get(name, "").strip().lower() or default
    if raw not in choices:
        raise SettingsError(f"{name}={raw!r} is not one of {', '.join(choices)}")
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
    - `STORE_KEY_SECRET`: what the store's keys are derived with (HMAC of the data),
      so that nobody outside the deployment can compute a key from a file they
      guess; the same in every worker. Unset: `SECRET_KEY`; both unset: a random
      secret the store keeps in Redis (per process on fakeredis).
    - `STORE_TIMEOUT_MS`: how long a request waits for Redis to connect or answer
      before the store reports it unreachable (default 2,000 ms; writing a value
      may take longer: its bytes may need that time to travel).
    - `SECRET_KEY`: Flask's secret key; unset means a random key per process.
    - `MAX_REQUEST_MB`: largest request body the server reads (default 100 MiB: an
      upload of 50 MiB travels base64-encoded, ~67 MiB); larger ones get 413.
    - `MAX_REQUEST_VALUES`: most values (array items, object members) a JSON request
      body may hold (default 1,000,000; Python takes ~0.1 s to parse that many, and
      seconds for the 20 million tiny ones 60 MB can hold); more get 413.
    - `FRAME_ANCESTORS`: the pages that may show the app in a frame, as CSP sources
      (default `'self'`: only the app itself; `'none'`: no page).
    - `CSP_EXTRA_SOURCES`: sources added to the Content-Security-Policy's directives,
      e.g. `img-src https://tiles.example.com; font-src https://fonts.gstatic.com`.
    - `CSP_MODE`: `enforce` the policy (default), `report-only` (the browser reports
      what it would block and blocks nothing) or `off` (no policy header but
      frame-ancestors).
    - `CSP_UNSAFE_EVAL`: whether scripts may compile code at run time (default on:
      Plotly's WebGL charts do); off gives the strictest policy Dash runs under.
    - `HSTS_SECONDS`: how long browsers must use HTTPS only (the
      Strict-Transport-Security header); default 0, no header: set it once the app is
      served over HTTPS only.
    - `COMPRESS`: compress responses with Brotli or gzip for browsers that accept it
      (default on; off where a proxy in front compresses).
    """

    port: int = 8050
    debug: bool = False
    redis_url: str | None = None
    store_ttl_seconds: int = 24 * 3600
    store_cache_mb: int = 256
    store_max_value_mb: int = 512
    store_prefix: str = "dash-aio"
    store_key_secret: str | None = None
    store_timeout_ms: int = 2000
    secret_key: str | None = None
    max_request_mb: int = 100
    max_request_values: int = 1_000_000
    frame_ancestors: tuple[str, ...] = ("'self'",)
    csp_extra_sources: tuple[tuple[str, str], ...] = ()
    csp_mode: str = "enforce"
    csp_unsafe_eval: bool = True
    hsts_seconds: int = 0
    compress: bool = True

    def __repr__(self) -> str:  # never shows a secret, e.g. in a traceback
        shown = {
            **vars(self),
            "redis_url": self.redis_url and redact(self.redis_url),
            "store_key_secret": self.store_key_secret and "***",
            "secret_key": self.secret_key and "***",
        }
        fields = ", ".join(f"{name}={value!r}" for name, value in shown.items())
        return f"Settings({fields})"

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
            store_key_secret=_secret(env, "STORE_KEY_SECRET"),
            store_timeout_ms=_int(
                env, "STORE_TIMEOUT_MS", cls.store_timeout_ms, 10, 60_000
            ),
            secret_key=env.get("SECRET_KEY") or None,
            max_request_mb=_int(env, "MAX_REQUEST_MB", cls.max_request_mb, 1, 4096),
            max_request_values=_int(
                env, "MAX_REQUEST_VALUES", cls.max_request_values, 1_000, 2**40
            ),
            frame_ancestors=_frame_ancestors(env),
            csp_extra_sources=_csp_extra_sources(env),
            csp_mode=_choice(env, "CSP_MODE", cls.csp_mode, CSP_MODES),
            csp_unsafe_eval=_bool(env, "CSP_UNSAFE_EVAL", cls.csp_unsafe_eval),
            hsts_seconds=_int(
                env, "HSTS_SECONDS", cls.hsts_seconds, 0, MAX_HSTS_SECONDS
            ),
            compress=_bool(env, "COMPRESS", cls.compress),
        )
