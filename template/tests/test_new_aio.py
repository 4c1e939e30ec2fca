"""scripts/new_aio.py writes a component that passes ruff, its tests and the convention."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

PROJECT = Path(__file__).resolve().parents[1]


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "new_aio", PROJECT / "scripts" / "new_aio.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


new_aio = load_script()


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """The project's sources and tests, copied: the script must not touch the real ones."""
    for part in ("src", "tests", "pyproject.toml"):
        source = PROJECT / part
        if source.is_dir():
            shutil.copytree(
                source, tmp_path / part, ignore=shutil.ignore_patterns("__pycache__")
            )
        else:
            shutil.copy(source, tmp_path / part)
    return tmp_path


def test_names_follow_the_class_name() -> None:
    assert new_aio.names("ColorPicker") == ("ColorPickerAIO", "color_picker")
    assert new_aio.names("KPICardAIO") == ("KPICardAIO", "kpi_card")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("color picker", "is not a CamelCase class name"),
        ("colorPicker", "is not a CamelCase class name"),
        ("2Fast", "is not a CamelCase class name"),
        ("Ids", "the module name 'ids' is reserved"),
    ],
)
def test_bad_names_are_refused(name: str, message: str) -> None:
    with pytest.raises(new_aio.NameRefused, match=message):
        new_aio.names(name)


def test_clashes_are_refused(project_copy: Path) -> None:
    new_aio.create("ColorPicker", project_copy)
    with pytest.raises(new_aio.NameRefused, match=r"color_picker\.py already exists"):
        new_aio.create("ColorPicker", project_copy)


def test_the_command_line_says_what_is_wrong(project_copy: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            str(PROJECT / "scripts" / "new_aio.py"),
            "bad name",
            "--root",
            str(project_copy),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "new_aio: 'bad name' is not a CamelCase class name" in result.stderr


def test_new_component_passes_ruff_its_tests_and_the_convention(
    project_copy: Path,
) -> None:
    written = new_aio.create("ColorPicker", project_copy)
    ruff = [sys.executable, "-m", "ruff"]
    subprocess.run([*ruff, "check", *map(str, written)], cwd=project_copy, check=True)
    subprocess.run(
        [*ruff, "format", "--check", *map(str, written)], cwd=project_copy, check=True
    )
    (package,) = (p.name for p in (project_copy / "src").iterdir() if p.is_dir())
    # The convention check of the new class, beside its own tests: one pytest run.
    (project_copy / "tests" / "test_new_follows_the_convention.py").write_text(
        "\n".join(
            [
                "from aio_convention import find_components, problems",
                f"from {package}.shared_callbacks import declared_callbacks",
                "",
                "",
                "def test_the_new_component_follows_the_convention():",
                f"    components = find_components({package!r})",
                "    (new,) = [c for c in components if c.__name__ == 'ColorPickerAIO']",
                "    assert problems(new, declared_callbacks()) == []",
                "",
            ]
        )
    )
    # The copy's src comes first on sys.path, so its package (with the new module) wins.
    env = {
        **os.environ,
        "PYTHONPATH": f"{project_copy / 'src'}{os.pathsep}{project_copy / 'tests'}",
    }
    tests = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-v",
            "-p",
            "no:cacheprovider",
            "tests/test_color_picker.py",
            "tests/test_new_follows_the_convention.py",
        ],
        cwd=project_copy,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "::test_the_new_component_follows_the_convention PASSED" in tests.stdout
