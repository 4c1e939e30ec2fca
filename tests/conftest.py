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

TEMPLATE = Path(__file__).resolve().parents[1]
COPIER_YML = yaml.safe_load((TEMPLATE / "copier.yml").read_text())
COMPONENT_KEYS = list(COPIER_YML["aio_components"]["choices"].values())

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


@pytest.fixture
def copy_template(tmp_path: Path) -> Render:
    """Render the template into a fresh folder: `copy_template(**answers)`."""
    count = 0

    def _render(**answers: Any) -> Path:
        nonlocal count
        count += 1
        return render(tmp_path / f"project{count}", **answers)

    return _render
