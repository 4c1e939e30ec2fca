"""Every answer set in the matrix renders a clean project whose own checks pass."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from conftest import COMPONENT_KEYS, COMPONENTS, TEMPLATE, Render, once, render, run

TEMPLATE_DIR = TEMPLATE / "template"  # copier.yml's _subdirectory
CONDITION = re.compile(r"\{%-?\s*if\s+(.*?)\s*-?%\}(.*?)\{%-?\s*endif\s*-?%\}")


def template_files(package: str) -> dict[str, list[str]]:
    """Every file the template can render, by its path in a project: the conditions
    its template path holds (none: every project has it)."""
    files = {}
    for source in TEMPLATE_DIR.rglob("*"):
        if not source.is_file() or "__pycache__" in source.parts:
            continue
        path = source.relative_to(TEMPLATE_DIR).as_posix()
        conditions = CONDITION.findall(path)
        path = CONDITION.sub(r"\2", path).removesuffix(".jinja")
        path = path.replace("{{package_name}}", package)
        path = path.replace("{{_copier_conf.answers_file}}", ".copier-answers.yml")
        assert "{" not in path, f"a template path this test cannot read: {source}"
        files[path] = [condition for condition, _ in conditions]
    return files


def holds(condition: str, selected: set[str]) -> bool:
    """A file name's condition, said again in Python (copier.yml says it in Jinja)."""
    tables = {"datatable", "grid"} & selected
    if condition == "has_table":
        return bool(tables)
    if condition == "explorer_page":  # two of upload, a table and graph
        return len({"upload", "graph"} & selected) + bool(tables) >= 2
    key = re.fullmatch(r"has_(\w+)|'(\w+)' in aio_components", condition)
    assert key, f"file-name condition {condition!r} has no meaning here: add it"
    assert (key[1] or key[2]) in COMPONENT_KEYS, condition
    return (key[1] or key[2]) in selected


# What each component brings to a project, whatever else it brings (README.md).
def component_files(package: str, key: str) -> list[str]:
    return [
        f"src/{package}/aio/{key}.py",
        f"src/{package}/assets/aio-{key}.css",
        f"src/{package}/pages/{key}.py",
        f"tests/components/test_{key}.py",
        f"tests/test_{key}_page.py",
    ]


# What every project has, whatever its answers: the user-owned files among them.
ALWAYS = [
    ".copier-answers.yml",
    "README.md",
    "pyproject.toml",
    "docs/template.md",
    "tests/conftest.py",
    "src/{package}/app.py",
    "src/{package}/layout.py",
    "src/{package}/aio/__init__.py",
    "src/{package}/pages/home.py",
    "src/{package}/assets/style.css",
]
# What a rendering holds that it was not rendered with: made by uv, Python and tools.
BUILT = {
    ".venv",
    "__pycache__",
    ".ruff_cache",
    ".pytest_cache",
    ".hypothesis",
    "uv.lock",
}

MATRIX = {
    "none": {"aio_components": []},
    **{f"only-{key}": {"aio_components": [key]} for key in COMPONENT_KEYS},
    "all": {"aio_components": COMPONENT_KEYS},
    # The Explorer on a DataTable (with the grid, it uses the grid).
    "explorer-datatable": {"aio_components": ["upload", "datatable", "graph"]},
    "odd-names": {
        "project_name": 'Élan VITAL: Ops "Dashboard" & Co\'s 2nd App, with a long name',
        "description": 'Quotes ", a backslash \\ and <html> in a very long line. ' * 3,
        "author_name": 'O\'Brien "Bob"',
        "package_name": "a_rather_long_package_name_xy_32",
        "aio_components": COMPONENT_KEYS,
    },
}


# Every rendering runs its suite's quick tier: all but the tests that drive Chromium
# or start real servers (the generated conftest marks those `browser` and `services`).
QUICK = "not browser and not services"
# Where the rest runs: the two ends of the matrix run their whole suite. "all" holds
# every component, so every browser and services test runs in a rendering with its
# component; "none" runs them without any (the app shell alone, under gunicorn too).
# The Explorer on a DataTable exists in no other rendering: its browser test runs there.
WHOLE_SUITE = {"all", "none"}
ALSO = {"explorer-datatable": ["tests/test_explorer_browser.py"]}


@pytest.fixture(scope="module", params=list(MATRIX))
def project(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """One rendering per answer set, with its dependencies installed by uv: made once
    in a run, whichever pytest worker (-n) needs it first, and shared by the others."""
    return once(
        tmp_path_factory,
        f"rendering-{request.param}",
        lambda dst: run(render(dst, **MATRIX[request.param]), "uv", "sync", "--quiet"),
    )


def test_expected_files_exist_and_unselected_do_not(project: Path) -> None:
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    package, selected = answers["package_name"], set(answers["aio_components"])
    for path in ALWAYS:
        assert (project / path.format(package=package)).is_file(), path
    for key in COMPONENT_KEYS:
        for path in component_files(package, key):
            assert (project / path).is_file() == (key in selected), path
    possible = template_files(package)
    for path, conditions in possible.items():
        expected = all(holds(condition, selected) for condition in conditions)
        assert (project / path).is_file() == expected, (path, conditions)
    rendered = {
        path.relative_to(project).as_posix()
        for path in project.rglob("*")
        if path.is_file() and not BUILT & set(path.relative_to(project).parts)
    }
    assert rendered - set(possible) == set()


def test_no_jinja_is_left(project: Path) -> None:
    for path in project.rglob("*"):
        built = {".venv", "__pycache__"} & set(path.parts)  # by uv and Python
        if built or not path.is_file() or path.name == "uv.lock":
            continue
        text = path.read_text(errors="replace")
        assert not re.search(r"\{\{|\{%|\{#", text), path
        assert not path.name.endswith(".jinja"), path


def test_ruff_check_passes(project: Path) -> None:
    run(project, "uv", "run", "--no-sync", "ruff", "check", ".")


def test_ruff_format_is_a_no_op(project: Path) -> None:
    run(project, "uv", "run", "--no-sync", "ruff", "format", "--check", ".")


def test_generated_test_suite_passes(
    project: Path,
    request: pytest.FixtureRequest,
    record_property: Callable[[str, object], None],
) -> None:
    """The quick tier everywhere; the rest where WHOLE_SUITE and ALSO say.

    How many tests ran is printed at the end of the template's run, per rendering.
    """
    rendering = request.node.callspec.params["project"]
    if rendering in WHOLE_SUITE:
        selections = {"whole suite": []}
    else:
        selections = {"quick tier": ["-m", QUICK]}
        selections.update({path: [path] for path in ALSO.get(rendering, [])})
    ran = {}
    for name, selection in selections.items():
        result = run(
            project,
            *("uv", "run", "--no-sync", "pytest", "-q", "-p", "no:cacheprovider"),
            *selection,
        )
        summary = result.stdout.strip().splitlines()[-1]
        ran[name] = {
            outcome: int(n) for n, outcome in re.findall(r"(\d+) (\w+)", summary)
        }
        assert ran[name].get("passed", 0) > 0, summary
    record_property("rendering", rendering)
    record_property("ran", ran)


def test_readme_shows_every_sample_page(copy_template: Render) -> None:
    """docs/ has a screenshot of each page (`uvx nox -s screenshots` regenerates them)."""
    project = copy_template()
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    pages = sorted(project.glob("src/*/pages/[!_]*.py"))
    assert pages
    for page in pages:
        shot = f"docs/page-{page.stem}.png"
        assert (Path(__file__).parents[1] / shot).is_file(), f"missing {shot}"
        assert f"({shot})" in readme, f"README does not show {shot}"


def test_readme_lists_every_component() -> None:
    readme = (TEMPLATE / "README.md").read_text()
    for row in COMPONENTS:
        assert f"| `{row['key']}` | `{row['class']}`: " in readme, row["key"]


def test_ci_runs_the_readme_s_test_command() -> None:
    """.ci/run ends with the command the README's "Two commands" gives for the tests."""
    script = (TEMPLATE / ".ci" / "run").read_text().strip().splitlines()
    readme = (TEMPLATE / "README.md").read_text()
    two_commands = readme.split("## Two commands")[1].split("```")[1]
    assert f"\n{script[-1]}  " in two_commands, script[-1]
