"""Migrations run by `copier update` before it renders (see `_migrations` in copier.yml).

Copier resets a whole multiselect answer when one of its stored choices no longer exists,
and a renamed user-owned file would come back under its new name without the user's
edits. Each command below fixes one such rename in the project being updated:

    rename.py choice QUESTION OLD NEW   rewrite a choice key in the stored answers
    rename.py retire QUESTION OLD       drop a retired choice key from the stored answers
    rename.py path OLD NEW              `git mv` a file the user owns to its new name

Paths may name stored answers in braces, `src/{package_name}/pages/old.py`: Copier has
not loaded the answers yet when "before" migrations run, so its Jinja cannot fill them.

Every command is idempotent and does nothing when there is nothing to do. It runs with the
Python that runs Copier, from the project's root, and uses only the standard library,
PyYAML (a dependency of Copier itself) and git (which `copier update` requires anyway).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

HEADER = "# Changes here will be overwritten by Copier; NEVER EDIT MANUALLY\n"


def load_answers(path: Path) -> dict[str, Any]:
    """The stored answers, or a clear error when the file is missing or not a mapping."""
    if not path.is_file():
        sys.exit(f"migration: answers file {path} not found in {Path.cwd()}")
    answers = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(answers, dict):
        sys.exit(f"migration: {path} does not hold a mapping of answers")
    return answers


def save_answers(path: Path, answers: dict[str, Any]) -> None:
    text = yaml.safe_dump(answers, sort_keys=False, allow_unicode=True)
    path.write_text(HEADER + text, encoding="utf-8")


def stored_choices(answers: dict[str, Any], question: str) -> list[Any] | None:
    """A multiselect answer, or None when the project never answered the question."""
    value = answers.get(question)
    if value is None:
        return None
    if not isinstance(value, list):
        sys.exit(f"migration: answer {question!r} is {value!r}, not a list of choices")
    return value


def rename_choice(answers_file: Path, question: str, old: str, new: str) -> str:
    answers = load_answers(answers_file)
    choices = stored_choices(answers, question)
    if choices is None or old not in choices:
        return f"{question}: no {old!r} to rename"
    renamed = [new if key == old else key for key in choices]
    answers[question] = list(dict.fromkeys(renamed))  # keep order, drop a duplicate
    save_answers(answers_file, answers)
    return f"{question}: {old!r} renamed to {new!r}"


def retire_choice(answers_file: Path, question: str, old: str) -> str:
    answers = load_answers(answers_file)
    choices = stored_choices(answers, question)
    if choices is None or old not in choices:
        return f"{question}: no {old!r} to retire"
    answers[question] = [key for key in choices if key != old]
    save_answers(answers_file, answers)
    return f"{question}: {old!r} retired"


def move_path(answers_file: Path, old_pattern: str, new_pattern: str) -> str:
    """`git mv`, so the update's diff (taken from git's index) sees a rename."""
    answers = load_answers(answers_file)
    try:
        old, new = (Path(p.format_map(answers)) for p in (old_pattern, new_pattern))
    except (KeyError, ValueError) as error:
        sys.exit(f"migration: cannot fill {old_pattern!r} from the answers: {error!r}")
    if not old.exists():
        return f"{old}: nothing to move"
    if new.exists():
        sys.exit(f"migration: cannot move {old} to {new}: {new} already exists")
    new.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "mv", "--", str(old), str(new)], check=True)
    return f"{old} moved to {new}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--answers-file", type=Path, default=Path(".copier-answers.yml")
    )
    commands = parser.add_subparsers(dest="command", required=True)
    choice = commands.add_parser("choice", help="rename a stored choice key")
    choice.add_argument("question")
    choice.add_argument("old")
    choice.add_argument("new")
    retire = commands.add_parser("retire", help="drop a retired choice key")
    retire.add_argument("question")
    retire.add_argument("old")
    path = commands.add_parser("path", help="git mv a user-owned file")
    path.add_argument("old")
    path.add_argument("new")
    args = parser.parse_args(argv)
    if args.command == "choice":
        done = rename_choice(args.answers_file, args.question, args.old, args.new)
    elif args.command == "retire":
        done = retire_choice(args.answers_file, args.question, args.old)
    else:
        done = move_path(args.answers_file, args.old, args.new)
    print(f"migration: {done}")


if __name__ == "__main__":
    main()
