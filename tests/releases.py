"""The template's releases, found in its git history, and clones of it to update from.

A release is a commit where the top-level VERSION file changed; its tag is `v<VERSION>`.
Clones may come without tags, so the tests tag the releases themselves, in a temporary
clone that also carries the working tree as its last commit ("HEAD").
"""

from __future__ import annotations

import fnmatch
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from packaging.version import InvalidVersion, Version

GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Template Tests",
    "GIT_AUTHOR_EMAIL": "tests@example.com",
    "GIT_COMMITTER_NAME": "Template Tests",
    "GIT_COMMITTER_EMAIL": "tests@example.com",
}


class ShallowCloneError(RuntimeError):
    """The history is cut off, so releases cannot be found."""


@dataclass(frozen=True)
class Release:
    version: Version
    commit: str

    @property
    def tag(self) -> str:
        return f"v{self.version}"


def git(repo: Path, *args: str) -> str:
    env = {**_plain_env(), **GIT_IDENTITY}
    result = subprocess.run(
        ["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode:
        raise RuntimeError(f"git {' '.join(args)} failed in {repo}:\n{result.stderr}")
    return result.stdout.strip()


def _plain_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}


def find_releases(repo: Path) -> list[Release]:
    """Every commit where VERSION changed, oldest first, with the version it set."""
    if git(repo, "rev-parse", "--is-shallow-repository") == "true":
        raise ShallowCloneError(
            f"{repo} is a shallow clone: its releases cannot be found. "
            "Fetch the whole history first: git fetch --unshallow"
        )
    releases: list[Release] = []
    for commit in git(repo, "log", "--reverse", "--format=%H", "--", "VERSION").split():
        text = git(repo, "show", f"{commit}:VERSION")
        try:
            version = Version(text)
        except InvalidVersion as error:
            raise ValueError(f"VERSION at {commit[:12]} is {text!r}: {error}") from None
        if releases and version <= releases[-1].version:
            raise ValueError(
                f"VERSION at {commit[:12]} goes from {releases[-1].version} to "
                f"{version}: a release must raise the version"
            )
        releases.append(Release(version, commit))
    return releases


def clone_with_releases(template: Path, dst: Path) -> list[Release]:
    """Clone `template` into `dst`, tag its releases, commit its working tree as HEAD."""
    releases = find_releases(template)
    git(template.parent, "clone", "--quiet", str(template), str(dst))
    for tag in git(dst, "tag", "--list").split():
        git(dst, "tag", "--delete", tag)
    for release in releases:
        git(dst, "tag", release.tag, release.commit)
    _copy_working_tree(template, dst)
    if git(dst, "status", "--porcelain"):
        git(dst, "add", "--all")
        git(dst, "commit", "--quiet", "--message", "The template's working tree")
    return releases


def _copy_working_tree(template: Path, dst: Path) -> None:
    """Mirror the template's uncommitted changes (new, changed and deleted files)."""
    for name in git(template, "ls-files", "--deleted", "-z").split("\0"):
        if name:
            (dst / name).unlink(missing_ok=True)
    listed = git(
        template, "ls-files", "--cached", "--others", "--exclude-standard", "-z"
    )
    for name in listed.split("\0"):
        source = template / name
        if name and source.is_file():
            (dst / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dst / name)


def release(repo: Path, version: str, message: str) -> Release:
    """Commit what is staged or changed in `repo` as a new release, tagged."""
    (repo / "VERSION").write_text(f"{version}\n")
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "--message", message)
    made = Release(Version(version), git(repo, "rev-parse", "HEAD"))
    git(repo, "tag", made.tag)
    return made


def user_owned_sources(
    repo: Path, commit: str | None, patterns: list[str]
) -> frozenset[tuple[str, str]]:
    """The template files at `commit` (None: the working tree) that render to a file
    matching `patterns` (the user-owned ones), and every include they may render
    with: (path, git blob) pairs.

    Two commits with the same sources render the same user-owned files.
    """
    where = ["--", "template", "includes"]
    if commit is None:
        listed = git(
            repo, "ls-files", "--cached", "--others", "--exclude-standard", *where
        )
        paths = [path for path in listed.splitlines() if (repo / path).is_file()]
        entries = zip(
            paths, git(repo, "hash-object", "--", *paths).split(), strict=True
        )
    else:
        entries = (
            (line.split("\t", 1)[1], line.split()[2])
            for line in git(repo, "ls-tree", "-r", commit, *where).splitlines()
        )
    return frozenset(
        (path, blob)
        for path, blob in entries
        if path.startswith("includes/")
        or any(fnmatch.fnmatchcase(rendered_path(path), p) for p in patterns)
    )


def rendered_path(source: str) -> str:
    """Where a template file lands in a project (any package name; a conditional name
    as if its condition held)."""
    path = source.removeprefix("template/").replace("{{package_name}}", "package")
    path = re.sub(r"\{%\s*if [^%]*%\}(.*?)\{%\s*endif\s*%\}", r"\1", path)
    return path.removesuffix(".jinja")
