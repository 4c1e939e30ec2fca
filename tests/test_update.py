"""`copier update` on real projects: from every release to HEAD, with the user's work kept.

Each project is copied at a release, committed, edited the way users edit (a new page, a
changed home page, their own CSS and README), committed again, then updated to HEAD (the
working tree included). Releases come from the history (tests/releases.py).

After an update, every template-owned file is byte for byte what a fresh copy at HEAD
has (asserted for every release and answer set), and the user-owned files are those of
the release, with the user's edits. Two releases whose user-owned sources are the same
therefore leave identical projects, and running the generated suite in the second would
prove nothing the first did not: it runs once for each distinct kind, after an update
from the oldest release of that kind, with every component (see
releases_to_run_the_suite_after).

What runs there is what can meet the user's code: the user's own tests (the top of
tests/) and tests/app, which serve the app as a whole (its pages, layout and
components: every page renders, opens in the browser under the CSP, passes the
convention check and runs under gunicorn). tests/components and tests/engines test
template-owned code with template-owned tests, both byte for byte a fresh copy's,
whose whole suite test_render runs: once there is enough.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import copier
import pytest
import yaml
from conftest import COPIER_YML, TEMPLATE, run
from releases import (
    clone_with_releases,
    find_releases,
    git,
    release,
    user_owned_sources,
)

RELEASES = find_releases(TEMPLATE)  # fails loudly on a shallow clone

ANSWER_SETS: dict[str, dict[str, Any]] = {
    "defaults": {},  # every component
    "none": {"aio_components": []},
    "markdown-grid": {"aio_components": ["markdown_with_color", "grid"]},
}

ABOUT_PAGE = '''"""About: a page of the user's own."""

import dash
from dash import html

dash.register_page(__name__, path="/about", name="About", order=99)

layout = html.Div([html.H2("About us"), html.P("A page the user added.")])
'''
HOME_EDIT = '            html.P("Our team\'s notes, written by the user."),\n'
CSS_EDIT = "\n.user-rule {\n  color: teal;\n}\n"
README_EDIT = "\n## Our notes\n\nWritten by the user.\n"
CONFLICT_MARKER = re.compile(r"^(<{7}|>{7}) ", re.MULTILINE)


def releases_to_run_the_suite_after() -> set[str]:
    """The oldest release, and the oldest release of each other set of user-owned
    sources but the working tree's (that project is a fresh copy at HEAD with the
    user's edits: test_render runs the whole suite of a fresh copy, and the oldest
    release's run has the edits)."""
    patterns = COPIER_YML["_skip_if_exists"]
    seen = {user_owned_sources(TEMPLATE, None, patterns)}
    chosen = {RELEASES[0].tag}
    for made in RELEASES:
        sources = user_owned_sources(TEMPLATE, made.commit, patterns)
        if sources not in seen:
            seen.add(sources)
            chosen.add(made.tag)
    return chosen


# The updates after which the generated suite runs (see the module's docstring).
SUITE_AFTER_UPDATE = {("defaults", tag) for tag in releases_to_run_the_suite_after()}


@pytest.fixture(scope="module")
def template_clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clone of the template with its releases tagged and its working tree as HEAD."""
    clone = tmp_path_factory.mktemp("template") / "repo"
    clone_with_releases(TEMPLATE, clone)
    return clone


@pytest.fixture(scope="module")
def fresh_copy(
    template_clone: Path, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], Path]:
    """A fresh copy at HEAD per answer set, made once: `fresh_copy(answer_set)`."""
    made: dict[str, Path] = {}

    def get(answer_set: str) -> Path:
        if answer_set not in made:
            dst = tmp_path_factory.mktemp(f"fresh-{answer_set}") / "app"
            copier.run_copy(
                str(template_clone),
                dst,
                data=ANSWER_SETS[answer_set],
                defaults=True,
                vcs_ref="HEAD",
                quiet=True,
            )
            made[answer_set] = dst
        return made[answer_set]

    return get


def copy(template: Path, dst: Path, ref: str, **answers: Any) -> Path:
    """Copy the template at `ref`, then commit the project as its user would."""
    copier.run_copy(
        str(template), dst, data=answers, defaults=True, vcs_ref=ref, quiet=True
    )
    git(dst, "init", "--quiet")
    commit(dst, "Generated from the template")
    return dst


def commit(project: Path, message: str) -> None:
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "--allow-empty", "--message", message)


def update(project: Path, ref: str = "HEAD", **options: Any) -> None:
    options.setdefault("unsafe", False)  # updates without a migration need no --trust
    copier.run_update(
        project, defaults=True, overwrite=True, vcs_ref=ref, quiet=True, **options
    )


def answers(project: Path) -> dict[str, Any]:
    return yaml.safe_load((project / ".copier-answers.yml").read_text())


def package_of(project: Path) -> str:
    return answers(project)["package_name"]


def files(project: Path) -> set[str]:
    return {
        path.relative_to(project).as_posix()
        for path in project.rglob("*")
        if path.is_file() and ".git" not in path.relative_to(project).parts
    }


def is_user_owned(path: str) -> bool:
    """Matched by copier.yml's `_skip_if_exists`: the update never touches it."""
    return any(
        fnmatch.fnmatchcase(path, pattern) for pattern in COPIER_YML["_skip_if_exists"]
    )


def edit_user_files(project: Path) -> None:
    """What users do: add a page, change the home page, their CSS and the README."""
    package = project / "src" / package_of(project)
    (package / "pages" / "about.py").write_text(ABOUT_PAGE)
    home = package / "pages" / "home.py"
    anchor = "            dcc.Markdown(DESCRIPTION),\n"
    assert anchor in home.read_text(), "the sample home page changed: update HOME_EDIT"
    home.write_text(home.read_text().replace(anchor, anchor + HOME_EDIT))
    with (package / "assets" / "style.css").open("a") as css:
        css.write(CSS_EDIT)
    with (project / "README.md").open("a") as readme:
        readme.write(README_EDIT)
    commit(project, "The user's own work")


def assert_user_edits_kept(project: Path) -> None:
    package = project / "src" / package_of(project)
    assert (package / "pages" / "about.py").read_text() == ABOUT_PAGE
    assert HOME_EDIT in (package / "pages" / "home.py").read_text()
    assert (package / "assets" / "style.css").read_text().endswith(CSS_EDIT)
    assert (project / "README.md").read_text().endswith(README_EDIT)


def assert_clean_merge(project: Path) -> None:
    """No conflict markers, no .rej files and nothing unmerged in git's index."""
    rejects = sorted(path for path in files(project) if path.endswith(".rej"))
    assert not rejects, f"rejected hunks: {rejects}"
    marked = [
        path
        for path in files(project)
        if CONFLICT_MARKER.search((project / path).read_text(errors="replace"))
    ]
    assert not marked, f"conflict markers in {marked}"
    unmerged = git(project, "diff", "--name-only", "--diff-filter=U")
    assert not unmerged, f"unmerged: {unmerged}"


def assert_template_files_as_fresh(project: Path, fresh: Path) -> None:
    """Every template-owned file is byte for byte what a fresh copy at HEAD has."""
    ours = {path for path in files(project) if not is_user_owned(path)}
    theirs = {path for path in files(fresh) if not is_user_owned(path)}
    assert ours == theirs, (
        f"only after the update: {sorted(ours - theirs)}; "
        f"only in a fresh copy: {sorted(theirs - ours)}"
    )
    differ = [
        path
        for path in sorted(theirs)
        if (project / path).read_bytes() != (fresh / path).read_bytes()
    ]
    assert not differ, f"template-owned files differ from a fresh copy: {differ}"
    # Sample pages exist after the update, as in a fresh copy (the user's or new ones).
    for path in files(fresh):
        assert (project / path).is_file(), path


# The generated suite's folders that test template-owned code alone (module docstring).
TEMPLATE_CODE_TESTS = ("tests/components", "tests/engines")


def assert_suite_passes(project: Path, *, as_fresh: bool = False) -> None:
    """The generated suite passes; `as_fresh`: the template-owned files are known to
    be a fresh copy's, so the tests of template code alone are left out."""
    run(project, "uv", "sync", "--quiet")
    left_out = TEMPLATE_CODE_TESTS if as_fresh else ()
    result = run(
        project,
        *("uv", "run", "--no-sync", "pytest", "-q", "-p", "no:cacheprovider"),
        *(f"--ignore={folder}" for folder in left_out),
    )
    assert " passed" in result.stdout


def test_history_has_releases() -> None:
    """Two real releases at least, so every update below crosses real changes."""
    assert len(RELEASES) >= 2, [str(r.version) for r in RELEASES]


@pytest.mark.parametrize("answer_set", list(ANSWER_SETS))
@pytest.mark.parametrize("from_release", [r.tag for r in RELEASES])
def test_update_from_release_keeps_user_work(
    template_clone: Path,
    fresh_copy: Callable[[str], Path],
    tmp_path: Path,
    from_release: str,
    answer_set: str,
) -> None:
    given = ANSWER_SETS[answer_set]
    project = copy(template_clone, tmp_path / "app", from_release, **given)
    edit_user_files(project)

    update(project)

    assert_clean_merge(project)
    assert_user_edits_kept(project)
    assert_template_files_as_fresh(project, fresh_copy(answer_set))
    if (answer_set, from_release) in SUITE_AFTER_UPDATE:
        assert_suite_passes(project, as_fresh=True)


def test_the_suite_runs_after_an_update_from_the_oldest_release() -> None:
    assert ("defaults", RELEASES[0].tag) in SUITE_AFTER_UPDATE


def test_adding_and_removing_a_component(template_clone: Path, tmp_path: Path) -> None:
    project = copy(
        template_clone, tmp_path / "app", "HEAD", aio_components=["markdown_with_color"]
    )
    package = project / "src" / package_of(project)
    grid_files = [
        package / "aio" / "grid.py",
        package / "pages" / "grid.py",
        package / "assets" / "aio-grid.css",
        package / "tables" / "grid_filter_model.py",
        project / "tests" / "components" / "test_grid.py",
        project / "tests" / "components" / "test_grid_browser.py",
        project / "tests" / "test_grid_page.py",
        project / "tests" / "support" / "grid.py",
    ]
    edit_user_files(project)

    update(project, data={"aio_components": ["markdown_with_color", "grid"]})
    assert_clean_merge(project)
    assert answers(project)["aio_components"] == ["markdown_with_color", "grid"]
    for path in grid_files:
        assert path.is_file(), path
    assert "from .grid import GridAIO" in (package / "aio" / "__init__.py").read_text()
    assert "dash-ag-grid" in (project / "pyproject.toml").read_text()
    assert_user_edits_kept(project)
    assert_suite_passes(project)
    commit(project, "Add the grid")

    update(project, data={"aio_components": ["markdown_with_color"]})
    assert_clean_merge(project)
    for path in grid_files:
        assert not path.exists(), path
    assert not (package / "tables").exists()
    assert "GridAIO" not in (package / "aio" / "__init__.py").read_text()
    assert "dash-ag-grid" not in (project / "pyproject.toml").read_text()
    assert_user_edits_kept(project)
    assert_suite_passes(project)


def latest_commit(template: Path) -> str:
    return git(template, "rev-parse", "HEAD")


def test_an_edit_in_a_template_owned_file_surfaces_as_a_conflict(
    tmp_path: Path,
) -> None:
    """Both sides changed the same line: never silent loss, with either conflict mode."""
    template = tmp_path / "template"
    clone_with_releases(TEMPLATE, template)
    base = latest_commit(template)
    store = template / "template" / "src" / "{{package_name}}" / "store" / "__init__.py"
    first, rest = store.read_text().split("\n", 1)
    ours = '"""The store, as the template now describes it."""'
    store.write_text(f"{ours}\n{rest}")
    release(template, "99.0.0", "Synthetic release: the store's first line changed")
    mine = '"""The store, with a note of the user\'s own."""'

    for mode in ("inline", "rej"):
        project = copy(template, tmp_path / mode, base, aio_components=[])
        path = project / "src" / package_of(project) / "store" / "__init__.py"
        assert path.read_text().startswith(first + "\n")
        path.write_text(f"{mine}\n{rest}")
        commit(project, "The user edits a template-owned file")

        update(project, ref="v99.0.0", conflict=mode)

        text = path.read_text()
        if mode == "inline":  # both versions between markers, and git says unmerged
            assert "<<<<<<< before updating" in text
            assert ">>>>>>> after updating" in text
            assert mine in text
            assert ours in text
            assert git(project, "diff", "--name-only", "--diff-filter=U") == (
                path.relative_to(project).as_posix()
            )
        else:  # the template's version, and the user's hunk beside it
            assert text.startswith(ours + "\n")
            assert mine in Path(f"{path}.rej").read_text()


def rename_choice_in_template(template: Path, old: str, new: str) -> None:
    """What a release renaming a component key does: key, module, page, tests, CSS."""
    roots = [template / "copier.yml", template / "includes", template / "template"]
    paths = [
        p for root in roots for p in ([root] if root.is_file() else root.rglob("*"))
    ]
    for path in paths:
        if path.is_file() and old in (text := path.read_text()):
            path.write_text(text.replace(old, new))
    for path in paths:
        if path.is_file() and old in path.name:
            git(
                template,
                "mv",
                str(path),
                str(path.with_name(path.name.replace(old, new))),
            )


def test_a_renamed_choice_is_migrated(tmp_path: Path) -> None:
    """A renamed key keeps the rest of the answer and carries the user's page over."""
    template = tmp_path / "template"
    clone_with_releases(TEMPLATE, template)
    base = latest_commit(template)
    rename_choice_in_template(template, "markdown_with_color", "markdown")
    script = "{{ _copier_conf.src_path }}/migrations/rename.py"
    pages = "src/{package_name}/pages"  # filled from the stored answers
    migrations = [
        ["choice", "aio_components", "markdown_with_color", "markdown"],
        ["path", f"{pages}/markdown_with_color.py", f"{pages}/markdown.py"],
    ]
    config = template / "copier.yml"
    entries = yaml.safe_dump(
        [
            {
                "version": "v99.0.0",
                "when": "{{ _stage == 'before' }}",
                "command": ["{{ _copier_python }}", script, *args],
            }
            for args in migrations
        ],
        sort_keys=False,
    )
    text = config.read_text()
    assert "_migrations: []\n" in text
    config.write_text(text.replace("_migrations: []\n", f"_migrations:\n{entries}"))
    release(template, "99.0.0", "Synthetic release: markdown_with_color -> markdown")

    project = copy(
        template,
        tmp_path / "app",
        base,
        aio_components=["markdown_with_color", "upload"],
    )
    package = project / "src" / package_of(project)
    page = package / "pages" / "markdown_with_color.py"
    page.write_text(page.read_text() + "\n# The user's note on this page.\n")
    commit(project, "The user edits the page")

    with pytest.raises(copier.errors.UnsafeTemplateError, match="migrations"):
        update(project, ref="v99.0.0")
    update(project, ref="v99.0.0", unsafe=True)  # copier update --trust

    assert answers(project)["aio_components"] == ["markdown", "upload"]
    assert_clean_merge(project)
    assert not page.exists()
    assert (
        (package / "pages" / "markdown.py")
        .read_text()
        .endswith("# The user's note on this page.\n")
    )
    assert (package / "aio" / "markdown.py").is_file()
    assert not (package / "aio" / "markdown_with_color.py").exists()
    assert (project / "tests" / "components" / "test_markdown.py").is_file()
    assert_suite_passes(project)


def test_releases_are_in_the_changelog() -> None:
    changelog = (TEMPLATE / "CHANGELOG.md").read_text()
    headings = re.findall(r"^## (\S+)", changelog, re.MULTILINE)
    version = (TEMPLATE / "VERSION").read_text().strip()
    assert headings[0] == version, "the newest CHANGELOG entry is the current VERSION"
    assert [str(r.version) for r in reversed(RELEASES)] == headings[: len(RELEASES)]
    pyproject = (TEMPLATE / "pyproject.toml").read_text()
    assert f'version = "{version}"' in pyproject


def test_a_shallow_clone_fails_loudly(tmp_path: Path) -> None:
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "--quiet", "--depth", "1", TEMPLATE.as_uri(), str(shallow))
    with pytest.raises(RuntimeError, match="shallow clone"):
        find_releases(shallow)


def test_a_release_must_raise_the_version(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    git(tmp_path, "init", "--quiet", str(repo))
    release(repo, "0.2.0", "first")
    (repo / "VERSION").write_text("0.1.0\n")
    commit(repo, "going back")
    with pytest.raises(ValueError, match=r"from 0\.2\.0 to 0\.1\.0"):
        find_releases(repo)
