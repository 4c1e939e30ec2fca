"""Gunicorn settings, read by `gunicorn <package>.app:server` run from this folder.

Workers: WEB_CONCURRENCY, else 2 per core + 1 (at most 8). Several workers need
REDIS_URL: the fakeredis fallback lives inside one process, so workers would not see
each other's data; this file refuses to start them rather than serve missing data.
"""

from __future__ import annotations

import os
from typing import Any

bind = f"0.0.0.0:{os.environ.get('PORT', '8050')}"
workers = int(os.environ.get("WEB_CONCURRENCY", min(2 * (os.cpu_count() or 1) + 1, 8)))
timeout = 60
accesslog = "-"


def on_starting(server: Any) -> None:
    """Refuse several workers on the per-process fakeredis store."""
    if server.cfg.workers > 1 and not os.environ.get("REDIS_URL", "").strip():
        raise SystemExit(
            f"refusing to start {server.cfg.workers} workers without REDIS_URL: the "
            "fallback store (fakeredis) is per process, so workers would not share "
            "data. Set REDIS_URL, or run one worker (-w 1) for a demo."
        )
