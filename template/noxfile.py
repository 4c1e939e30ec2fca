"""Sessions of the app: `uvx nox` runs lint and tests; `uvx nox -l` lists them all."""

from __future__ import annotations

import nox

nox.options.sessions = ["lint", "tests"]


@nox.session(venv_backend="none")
def lint(session: nox.Session) -> None:
    """Ruff: lint and format check."""
    session.run("uv", "run", "ruff", "check", ".")
    session.run("uv", "run", "ruff", "format", "--check", ".")


@nox.session(venv_backend="none")
def tests(session: nox.Session) -> None:
    """The test suite (real Redis and Chromium tests skip without them, fail in CI)."""
    session.run("uv", "run", "pytest", *session.posargs)


@nox.session(venv_backend="none")
def bench(session: nox.Session) -> None:
    """The store against the Dash docs recipe on 1M rows (REDIS_URL: real Redis)."""
    session.run("uv", "run", "python", "benchmarks/bench_store.py", *session.posargs)


@nox.session(venv_backend="none")
def serve(session: nox.Session) -> None:
    """Production-like: gunicorn with gunicorn.conf.py (set REDIS_URL for workers > 1)."""
    session.run(
        "uv", "run", "gunicorn", "--config", "gunicorn.conf.py", *session.posargs
    )
