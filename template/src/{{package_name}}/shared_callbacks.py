"""Give every Dash app in the process the callbacks declared with `dash.callback`.

Dash hands module-level `dash.callback` registrations to the FIRST app that serves a
request and then forgets them, so a second app in the same process (a test, a factory
called twice) gets none (plotly/dash#1933). `share_callbacks(app)` moves them out of
Dash's global lists into a process-wide registry and gives each app all of them, at
creation and again at the next request after any later declaration (a module of
callbacks imported after the app is made), so the AIO convention (callbacks declared
at import) and app factories work together. Binding holds a lock: the threads of a
threaded server never bind at once.

Dash has no public way to do this: it reads the private globals of `dash._callback`,
all four that Dash 4.4 keeps (`MIRRORED`); tests/app/test_shared_callbacks.py fails
when a Dash release adds another. A callback with `api_endpoint=` is shared too: each
app gets it in `app.callback_api_paths`, which `app.setup_apis()` serves (Dash's own
step, before the first request; Flask adds no route after it).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Final

from dash import Dash, _callback

#: The globals of `dash._callback` that `dash.callback` fills, each mirrored here.
MIRRORED: Final = (
    "GLOBAL_CALLBACK_MAP",
    "GLOBAL_CALLBACK_LIST",
    "GLOBAL_INLINE_SCRIPTS",
    "GLOBAL_API_PATHS",
)

_callback_map: dict[str, dict[str, Any]] = {}
_callback_list: dict[str, dict[str, Any]] = {}
_inline_scripts: list[str] = []
_api_paths: dict[str, Callable[..., Any]] = {}
#: How many times declarations were moved into the registry: an app bound at an older
#: count misses some.
_collected = 0
_lock = threading.RLock()


def share_callbacks(app: Dash) -> None:
    """Register every `dash.callback` declared so far on `app`, not just the first,
    and those declared later before the next request."""
    bound = _bind(app)

    def bind_late_declarations() -> None:
        nonlocal bound
        if bound != _collected or _pending():  # a few reads on every request
            bound = _bind(app)

    # Flask runs before-request functions in order: this one must precede Dash's setup,
    # which would otherwise take the late declarations for this app alone.
    app.server.before_request_funcs.setdefault(None, []).insert(
        0, bind_late_declarations
    )


def declared_callbacks() -> dict[str, dict[str, Any]]:
    """Every callback declared with `dash.callback` so far, by output (not app-bound)."""
    with _lock:
        _collect()
        return dict(_callback_map)


def _pending() -> bool:
    """Whether `dash.callback` has declared anything since the last `_collect`."""
    return any(getattr(_callback, name) for name in MIRRORED)


def _collect() -> None:
    """Move Dash's global declarations into the process-wide registry (under _lock)."""
    global _collected
    if not _pending():
        return
    _collected += 1
    # A later declaration of the same output (a page module run again for a new app)
    # replaces the earlier one, as it would in a fresh process.
    _callback_map.update(_callback.GLOBAL_CALLBACK_MAP)
    _callback_list.update(
        (entry["output"], entry) for entry in _callback.GLOBAL_CALLBACK_LIST
    )
    _inline_scripts.extend(
        s for s in _callback.GLOBAL_INLINE_SCRIPTS if s not in _inline_scripts
    )
    _api_paths.update(_callback.GLOBAL_API_PATHS)
    for name in MIRRORED:
        getattr(_callback, name).clear()


def _bind(app: Dash) -> int:
    """Give `app` a copy of every shared callback (idempotent); the count of
    collections it now has."""
    with _lock:
        _collect()
        app.callback_map.update({k: dict(v) for k, v in _callback_map.items()})
        app._callback_list[:] = [
            entry
            for entry in app._callback_list
            if entry["output"] not in _callback_list
        ] + [dict(entry) for entry in _callback_list.values()]
        app._inline_scripts.extend(
            s for s in _inline_scripts if s not in app._inline_scripts
        )
        app.callback_api_paths.update(_api_paths)
        return _collected
