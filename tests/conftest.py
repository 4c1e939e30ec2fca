"""Render the template (working tree included) and run what users run in a rendering."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import copier
import pytest
import yaml
from filelock import FileLock

TEMPLATE = Path(__file__).resolve().parents[1]
COPIER_YML = yaml.safe_load((TEMPLATE / "copier.yml").read_text())
# copier.yml's component table, the one list of the components: {key, class, help} rows
# in the order of the choices.
COMPONENTS: list[dict[str, str]] = COPIER_YML["component_table"]["default"]
COMPONENT_KEYS = [row["key"] for row in COMPONENTS]

Render = Callable[..., Path]


def render(dst: Path, **answers: Any) -> Path:
    """Copy the template with `answers` (defaults for the rest), as `copier copy` does."""
    copier.run_copy(
        str(TEMPLATE),
        dst,
        data=answers,
        defaults=True,
        vcs_ref="HEAD",  # include uncommitted changes of the template
        quiet=True,
        unsafe=False,  # what users get: no --trust
    )
    return dst


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run a command in a rendered project as its user would, outside any venv."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT"}
    }
    result = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, (
        f"`{' '.join(args)}` failed in {cwd} (exit {result.returncode}):\n"
        f"{result.stdout}\n{result.stderr}"
    )
    return result


def once(
    tmp_path_factory: pytest.TempPathFactory, name: str, make: Callable[[Path], object]
) -> Path:
    """`make(path)` once in a test run, whichever pytest worker (-n) asks first; the
    others wait for it and share the result. The path is returned."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # every worker's basetemp is in one folder of the run
    path = base / name
    with FileLock(base / f"{name}.lock"):
        done = base / f"{name}.done"
        if not done.exists():
            make(path)
            done.touch()
    return path


@pytest.fixture
def copy_template(tmp_path: Path) -> Render:
    """Render the template into a fresh folder: `copy_template(**answers)`."""
    count = 0

    def _render(**answers: Any) -> Path:
        nonlocal count
        count += 1
        return render(tmp_path / f"project{count}", **answers)

    return _render


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """How many tests each rendering's own suite ran (test_render records them), so a
    change that silently drops tests shows in the output."""
    ran = {}
    for outcome in ("passed", "failed"):
        for report in terminalreporter.stats.get(outcome, []):
            recorded = dict(getattr(report, "user_properties", ()))
            if report.when == "call" and "rendering" in recorded:
                ran[recorded["rendering"]] = recorded["ran"]
    if ran:
        terminalreporter.section("tests each rendering's own suite ran")
        for rendering, selections in sorted(ran.items()):
            shown = "; ".join(
                f"{name}: "
                + ", ".join(f"{n} {outcome}" for outcome, n in counts.items())
                for name, counts in selections.items()
            )
            terminalreporter.write_line(f"{rendering:>24}  {shown}")
