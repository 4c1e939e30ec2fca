"""The generated template-update workflow's first steps, run for real.

Each step's own script (template/.github/workflows/template-update.yml) runs under bash
as GitHub runs it, in a project whose answers point at a clone of this template with its
releases tagged (tests/releases.py), so Copier reads the template's history and never
the network. `uvx` is a stand-in that runs the Copier these tests run on.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import COPIER_YML, TEMPLATE
from packaging.specifiers import SpecifierSet
from packaging.version import Version
from releases import Release, clone_with_releases, git

WORKFLOW = yaml.safe_load(
    (TEMPLATE / "template/.github/workflows/template-update.yml").read_text()
)
(JOB,) = WORKFLOW["jobs"].values()
STEPS = {step["id"]: step for step in JOB["steps"] if "id" in step}
(PULL_REQUEST,) = (
    step
    for step in JOB["steps"]
    if step.get("uses", "").startswith("peter-evans/create-pull-request@")
)
BOT = "github-actions[bot]"  # create-pull-request's committer

# `uvx --from SPEC copier ARGS`, with the Copier of this test run: no download.
UVX = """#!/bin/sh
[ "$1" = --from ] && [ "$3" = copier ] || exit 90
shift 3
exec "{python}" -m copier "$@"
"""


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Release]]:
    """A clone of the template with its releases tagged, and those releases."""
    clone = tmp_path_factory.mktemp("template") / "repo"
    releases = clone_with_releases(TEMPLATE, clone)
    assert len(releases) >= 2, "an older and a newest release are needed"
    return clone, releases


def project(path: Path, src: Path, release: Release) -> Path:
    """A project made from `src` at `release`, as far as check-update reads it: its
    answers file, committed."""
    path.mkdir()
    answers = {"_commit": release.tag, "_src_path": str(src)}
    (path / ".copier-answers.yml").write_text(yaml.safe_dump(answers))
    git(path, "init", "--quiet")
    git(path, "add", "--all")
    git(path, "commit", "--quiet", "--message", "Generated from the template")
    return path


def commit_on_update_branch(project: Path, committer: str) -> None:
    """A commit by `committer` on top of the update branch as the checkout fetched it
    (origin/<branch>, made from HEAD if missing); the project's own branch stays."""
    ref = f"refs/remotes/origin/{PULL_REQUEST['with']['branch']}"
    parent = ref if git(project, "for-each-ref", ref) else "HEAD"
    env = {**os.environ, "GIT_COMMITTER_NAME": committer}
    env["GIT_COMMITTER_EMAIL"] = env["GIT_AUTHOR_EMAIL"] = "someone@example.com"
    env["GIT_AUTHOR_NAME"] = committer
    tree = git(project, "rev-parse", "HEAD^{tree}")
    made = subprocess.run(
        ["git", "commit-tree", tree, "-p", parent, "-m", f"by {committer}"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    git(project, "update-ref", ref, made)


def run_step(
    step_id: str, project: Path, tmp_path: Path
) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    """Run a step's script as GitHub does (bash -eo pipefail, the workflow's env); its
    result and the step outputs it wrote."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / "uvx").write_text(UVX.format(python=sys.executable))
    (bin_dir / "uvx").chmod(0o755)
    script, outputs = tmp_path / f"{step_id}.sh", tmp_path / f"{step_id}_output"
    script.write_text(STEPS[step_id]["run"])
    outputs.touch()
    env = {
        **os.environ,
        **WORKFLOW["env"],
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "GITHUB_OUTPUT": str(outputs),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
    }
    result = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    written = dict(line.split("=", 1) for line in outputs.read_text().splitlines())
    return result, written


@pytest.mark.parametrize(
    ("made_from", "available"),
    [(-2, "true"), (-1, "false")],
    ids=["an older release finds the newer", "the newest release is up to date"],
)
def test_check_step_says_whether_a_newer_release_exists(
    template: tuple[Path, list[Release]], tmp_path: Path, made_from: int, available: str
) -> None:
    clone, releases = template
    app = project(tmp_path / "app", clone, releases[made_from])
    result, outputs = run_step("check", app, tmp_path)
    assert result.returncode == 0, result.stderr
    assert outputs == {
        "available": available,
        "current": str(releases[made_from].version),
        "latest": str(releases[-1].version),
    }


def test_check_step_fails_when_the_template_is_out_of_reach(
    template: tuple[Path, list[Release]], tmp_path: Path
) -> None:
    """An error is a failed run with a message, never "up to date"."""
    _, releases = template
    lost = project(tmp_path / "app", tmp_path / "no-template-here", releases[-1])
    result, outputs = run_step("check", lost, tmp_path)
    assert result.returncode != 0
    assert "::error::copier check-update failed" in result.stdout
    assert outputs == {}


@pytest.mark.parametrize(
    ("committers", "edited"),
    [([], "false"), ([BOT], "false"), ([BOT, "Someone"], "true")],
)
def test_branch_step_spots_commits_of_a_person_on_the_update_branch(
    tmp_path: Path, committers: list[str], edited: str
) -> None:
    """A refresh of the update branch would force-push over a person's commits."""
    app = project(tmp_path / "app", tmp_path / "template", Release(Version("1.0"), ""))
    for committer in committers:
        commit_on_update_branch(app, committer)
    result, outputs = run_step("branch", app, tmp_path)
    assert result.returncode == 0, result.stderr
    assert outputs == {"edited": edited}


def test_workflow_copier_starts_at_the_templates_minimum() -> None:
    """The workflow's Copier is one the template accepts, from the same release on."""
    spec = SpecifierSet(WORKFLOW["env"]["COPIER"].removeprefix("copier"))
    minimum = Version(str(COPIER_YML["_min_copier_version"]))
    lower = [Version(s.version) for s in spec if s.operator == ">="]
    assert lower == [minimum]
