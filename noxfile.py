"""Sessions of the template repo: `uvx nox` runs lint and tests; `uvx nox -s quick` is
the fast loop; `uvx nox -s demo` serves."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import nox

nox.needs_version = ">=2025.2.9"
nox.options.default_venv_backend = "uv"
nox.options.sessions = ["lint", "tests"]

ROOT = Path(__file__).parent
DEMO = ROOT / ".demo"


def sync(session: nox.Session) -> None:
    """Install the repo's locked dev dependencies into the session's venv."""
    session.run_install(
        "uv",
        "sync",
        "--locked",
        env={"UV_PROJECT_ENVIRONMENT": session.virtualenv.location},
    )


@nox.session
def lint(session: nox.Session) -> None:
    """Ruff on the template repo's own Python (renderings are checked by the tests)."""
    sync(session)
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


# Workers for the template's tests. A rendering's own suite keeps a core busy, but
# rendering, `uv sync`, Copier's clones and the browser's page loads wait on I/O: on two
# cores, four workers keep both busy. Work-stealing evens out the long tests (a whole
# generated suite) and the many short ones.
WORKERS = "4"


@nox.session
def tests(session: nox.Session) -> None:
    """Render the template for the answer matrix and run each rendering's checks."""
    sync(session)
    session.run("pytest", "-n", WORKERS, "--dist", "worksteal", *session.posargs)


@nox.session
def quick(session: nox.Session) -> None:
    """A fast loop: ruff, then every component rendered and its quick tier run."""
    sync(session)
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    project = ROOT / ".quick"
    render_defaults(session, project)
    run_in_project(session, project, "ruff", "check", ".")
    run_in_project(session, project, "ruff", "format", "--check", ".")
    quick_tier = "not browser and not services"
    run_in_project(session, project, "pytest", "-m", quick_tier, *session.posargs)


def render_defaults(session: nox.Session, dst: Path) -> str:
    """Render the template (working tree included) with its defaults; its package."""
    shutil.rmtree(dst, ignore_errors=True)
    session.run(
        "copier",
        "copy",
        "--defaults",
        "--vcs-ref",
        "HEAD",
        "--quiet",
        str(ROOT),
        str(dst),
    )
    answers = (dst / ".copier-answers.yml").read_text()
    return re.search(r"^package_name: (\w+)$", answers, re.MULTILINE)[1]


def run_in_project(session: nox.Session, project: Path, *args: str) -> None:
    """Run `uv run ARGS` in a rendered project's own venv, as its user would."""
    session.chdir(project)
    session.run("uv", "run", *args, external=True, env={"VIRTUAL_ENV": ""})


@nox.session
def demo(session: nox.Session) -> None:
    """Render the template with its defaults into .demo/ and serve it on port 8050."""
    sync(session)
    package = render_defaults(session, DEMO)
    run_in_project(session, DEMO, "python", "-m", package)


@nox.session
def bench(session: nox.Session) -> None:
    """Run every benchmark of a default rendering (REDIS_URL: real Redis)."""
    sync(session)
    project = ROOT / ".bench"
    render_defaults(session, project)
    for script in sorted((project / "benchmarks").glob("bench_*.py")):
        run_in_project(
            session, project, "python", f"benchmarks/{script.name}", *session.posargs
        )


@nox.session
def screenshots(session: nox.Session) -> None:
    """Regenerate docs/page-*.png from a rendering with every component (Chromium)."""
    sync(session)
    project = ROOT / ".screenshots"
    render_defaults(session, project)
    tool = str(ROOT / "tools" / "screenshots.py")
    run_in_project(session, project, "python", tool, str(ROOT / "docs"))
