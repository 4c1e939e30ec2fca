"""Every answer set in the matrix renders a clean project whose own checks pass."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from conftest import Render, once, render, run

# The component keys this template version ships, in the order of the choices.
AVAILABLE = re.findall(
    r'"(\w+)"',
    (Path(__file__).parents[1] / "includes" / "components.jinja")
    .read_text()
    .split("available =")[1]
    .split("]")[0],
)

# What each component adds to a project (package paths are under src/<package_name>/).
COMPONENT_FILES = {
    key: [
        f"aio/{key}.py",
        f"assets/aio-{key}.css",
        f"pages/{key}.py",
        f"../../tests/test_{key}.py",
        f"../../tests/test_{key}_page.py",
    ]
    for key in AVAILABLE
}
COMPONENT_FILES["datatable"] += [
    "../../tests/test_datatable_native.py",
    "../../tests/test_datatable_filter_props.py",
    "../../tests/test_datatable_hostile.py",
    "../../benchmarks/bench_datatable.py",
    "../../benchmarks/bench_filters.py",
]
COMPONENT_FILES["grid"] += [
    "query/filter_model.py",
    "../../tests/grid_calls.py",
    "../../tests/test_grid_browser.py",
    "../../tests/test_grid_hostile.py",
    "../../benchmarks/bench_grid.py",
]
COMPONENT_FILES["upload"] += [
    "../../tests/upload_calls.py",
    "../../tests/test_upload_browser.py",
    "../../tests/test_upload_hostile.py",
    "../../benchmarks/bench_upload.py",
]
COMPONENT_FILES["graph"] += [
    "../../tests/graph_in_browser.py",
    "../../tests/test_graph_browser.py",
    "../../tests/test_graph_hostile.py",
    "../../benchmarks/bench_graph.py",
]
# The table engine comes with either table component.
TABLE_ENGINE = [
    "query/__init__.py",
    "query/grammar.py",
    "query/js.py",
    "query/filter_query.py",
    "query/table_view.py",
    "query/substring.py",
    "../../tests/test_substring.py",
    "../../benchmarks/measure.py",
]
# The Explorer page composes upload, a table and graph: it needs two of the three.

ALWAYS = [
    ".copier-answers.yml",
    ".gitignore",
    "README.md",
    "docs/template.md",
    "pyproject.toml",
    "tests/conftest.py",
    "tests/dash_client.py",
    "tests/chromium.py",
    "tests/test_app.py",
    "tests/test_settings.py",
    "tests/test_store.py",
    "tests/test_store_faults.py",
    "tests/test_main.py",
    "tests/services.py",
    "tests/aio_convention.py",
    "tests/test_aio_convention.py",
    "tests/test_aio_convention_checks.py",
    "tests/test_new_aio.py",
    "scripts/new_aio.py",
    "tests/test_production.py",
    "tests/test_browser.py",
    "tests/test_deploy_files.py",
    "Dockerfile",
    ".dockerignore",
    "compose.yaml",
    ".pre-commit-config.yaml",
    ".github/workflows/ci.yml",
    "noxfile.py",
    "gunicorn.conf.py",
    ".env.example",
    "benchmarks/bench_store.py",
    "benchmarks/bench_requests.py",
]
PACKAGE_ALWAYS = [
    "__init__.py",
    "__main__.py",
    "app.py",
    "layout.py",
    "settings.py",
    "shared_callbacks.py",
    "store.py",
    "aio/__init__.py",
    "aio/ids.py",
    "aio/messages.py",
    "pages/__init__.py",
    "pages/home.py",
    "assets/style.css",
    "assets/aio.css",
]

MATRIX = {
    "none": {"aio_components": []},
    **{f"only-{key}": {"aio_components": [key]} for key in AVAILABLE},
    "all": {"aio_components": AVAILABLE},
    # The Explorer on a DataTable (with the grid, it uses the grid).
    "explorer-datatable": {"aio_components": ["upload", "datatable", "graph"]},
    "odd-names": {
        "project_name": 'Élan VITAL: Ops "Dashboard" & Co\'s 2nd App, with a long name',
        "description": 'Quotes ", a backslash \\ and <html> in a very long line. ' * 3,
        "author_name": 'O\'Brien "Bob"',
        "package_name": "a_rather_long_package_name_xy_32",
        "aio_components": AVAILABLE,
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


def package_dir(project: Path) -> Path:
    (package,) = (project / "src").iterdir()
    return package


def test_expected_files_exist_and_unselected_do_not(project: Path) -> None:
    package = package_dir(project)
    selected = yaml.safe_load((project / ".copier-answers.yml").read_text())[
        "aio_components"
    ]
    for path in ALWAYS:
        assert (project / path).is_file(), path
    for path in PACKAGE_ALWAYS:
        assert (package / path).is_file(), path
    for key, paths in COMPONENT_FILES.items():
        for path in paths:
            assert (package / path).is_file() == (key in selected), path
    tables = {"datatable", "grid"} & set(selected)
    for path in TABLE_ENGINE:
        assert (package / path).is_file() == bool(tables), path
    explorer = len({"upload", "graph"} & set(selected)) + bool(tables) >= 2
    assert (package / "pages/explorer.py").is_file() == explorer
    assert (project / "tests/test_explorer_browser.py").is_file() == explorer


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
