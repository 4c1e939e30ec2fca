"""scripts/new_aio.py writes a component that passes ruff, its tests and the
convention, into the user's own places (`components/`, the top of `tests/`), never
into `aio/`."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

PROJECT = Path(__file__).resolve().parents[2]


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
        ("Class", "the module name 'class' is reserved"),
    ],
)
def test_bad_names_are_refused(name: str, message: str) -> None:
    with pytest.raises(new_aio.NameRefused, match=message):
        new_aio.names(name)


def package_of(project: Path) -> Path:
    (package,) = (p for p in (project / "src").iterdir() if p.is_dir())
    return package


def test_clashes_are_refused(project_copy: Path) -> None:
    new_aio.create("ColorPicker", project_copy)
    with pytest.raises(new_aio.NameRefused, match=r"color_picker\.py already exists"):
        new_aio.create("ColorPicker", project_copy)
    # pytest cannot run two test modules of one name outside packages.
    (project_copy / "tests" / "extra").mkdir()
    (project_copy / "tests" / "extra" / "test_gauge.py").write_text("")
    with pytest.raises(new_aio.NameRefused, match=r"extra/test_gauge\.py already"):
        new_aio.create("Gauge", project_copy)
    other = package_of(project_copy) / "components" / "cards.py"
    other.write_text("class KpiCardAIO:\n    pass\n")
    with pytest.raises(new_aio.NameRefused, match=r"KpiCardAIO is already defined in"):
        new_aio.create("KpiCard", project_copy)


def test_it_writes_only_where_updates_never_merge(project_copy: Path) -> None:
    """`components/` and the top of `tests/` are the user's (copier.yml's
    `_skip_if_exists`); `aio/` is the template's, upgraded by every update."""
    package = package_of(project_copy)
    before = sorted((package / "aio").rglob("*"))
    (package / "components" / "__init__.py").unlink()  # e.g. deleted by the user
    written = new_aio.create("ColorPicker", project_copy)
    assert [path.relative_to(project_copy).as_posix() for path in written] == [
        f"src/{package.name}/components/color_picker.py",
        "tests/test_color_picker.py",
    ]
    assert sorted((package / "aio").rglob("*")) == before
    # The package it needs comes back, with its docstring, as the template ships it.
    assert (package / "components" / "__init__.py").read_text() == (
        PROJECT / "src" / package.name / "components" / "__init__.py"
    ).read_text()


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
    package = package_of(project_copy).name
    # The convention check of the new class, beside its own tests and the project's
    # convention test (which finds it in components/): one pytest run.
    (project_copy / "tests" / "test_new_follows_the_convention.py").write_text(
        "\n".join(
            [
                "from support.aio_convention import find_components, problems",
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
            "tests/app/test_aio_convention.py",
        ],
        cwd=project_copy,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "::test_the_new_component_follows_the_convention PASSED" in tests.stdout
