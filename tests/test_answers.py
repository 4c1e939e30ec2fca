"""The questions: what each answer may be, and what is refused with which message."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
import yaml
from conftest import COMPONENT_KEYS, COMPONENTS, COPIER_YML, TEMPLATE, Render
from releases import find_releases, git


def answers(project: Path) -> dict:
    return yaml.safe_load((project / ".copier-answers.yml").read_text())


def release_choice_keys(commit: str) -> list[str]:
    """The component keys a release offered (before 0.8.0: its choices' values)."""
    config = yaml.safe_load(git(TEMPLATE, "show", f"{commit}:copier.yml"))
    if "component_table" in config:
        return [row["key"] for row in config["component_table"]["default"]]
    return list(config["aio_components"]["choices"].values())


def test_no_release_s_component_key_is_gone_without_a_migration() -> None:
    # A stored choice that is no longer offered makes Copier reset the whole answer on
    # `copier update`: a renamed or retired key needs a _migrations entry.
    migrated = {
        step["command"][step["command"].index("choice") + 2]
        for step in COPIER_YML.get("_migrations") or []
        if "choice" in step["command"]
    }
    for release in find_releases(TEMPLATE):
        gone = set(release_choice_keys(release.commit)) - set(COMPONENT_KEYS)
        assert gone <= migrated, f"{release.tag}'s keys {gone} have no migration"


def test_the_component_table_is_well_formed() -> None:
    # A key names the module, page, CSS and tests: a Python identifier. The question
    # shows "<class>: <help>", one line.
    assert len(set(COMPONENT_KEYS)) == len(COMPONENT_KEYS)
    for row in COMPONENTS:
        assert set(row) == {"key", "class", "help"}, row
        assert row["key"].isidentifier(), row
        assert row["key"] == row["key"].lower(), row
        assert row["class"].isidentifier(), row
        assert row["class"].endswith("AIO"), row
        assert row["help"].strip(), row
        assert "\n" not in row["help"], row


def test_every_component_has_its_computed_boolean() -> None:
    # File names and bodies test `has_<key>`; a component added without one would
    # render as if it were never selected.
    for key in COMPONENT_KEYS:
        assert COPIER_YML[f"has_{key}"] == {
            "type": "bool",
            "when": False,
            "default": f"{{{{ '{key}' in aio_components }}}}",
        }


def test_the_choices_are_the_component_table(copy_template: Render) -> None:
    with pytest.raises(ValueError, match="Invalid choice") as refused:
        copy_template(aio_components=["charts"])
    assert str(refused.value).endswith(f"is not in {COMPONENT_KEYS}")


def test_copy_needs_no_trust() -> None:
    assert "_tasks" not in COPIER_YML
    assert "_jinja_extensions" not in COPIER_YML
    assert "_migrations" not in COPIER_YML or all(
        "command" in m for m in COPIER_YML["_migrations"]
    )


def test_min_copier_version_allows_serialized_multiselect_data() -> None:
    major, minor = map(int, str(COPIER_YML["_min_copier_version"]).split(".")[:2])
    assert (major, minor) >= (9, 8)


def test_reserved_names_cover_the_stdlib() -> None:
    source = (TEMPLATE / "includes" / "reserved_names.jinja").read_text()
    listed = set(re.findall(r'"([A-Za-z_][A-Za-z0-9_]*)"', source))
    public = {name for name in sys.stdlib_module_names if not name.startswith("_")}
    assert public - listed == set()


def test_defaults_are_derived_from_the_project_name(copy_template: Render) -> None:
    got = answers(copy_template(project_name="  Sales Dashboard  (EU) "))
    assert got["project_slug"] == "sales-dashboard-eu"
    assert got["package_name"] == "sales_dashboard_eu"
    assert got["aio_components"] == COMPONENT_KEYS  # every component, in table order


@pytest.mark.parametrize(
    ("project_name", "package_name"),
    [
        ("Test", "test_app"),  # would shadow the stdlib `test`
        ("Dash", "dash_app"),  # would shadow a dependency
        ("42 Insights", "insights"),  # identifiers cannot start with a digit
        ("!!!", "dash_app"),  # nothing usable left
        ("A " * 30, "a_a_a_a_a_a_a_a_a_a_a_a_a_a_a_a"),  # at most 32 characters
    ],
)
def test_derived_package_name_is_always_valid(
    copy_template: Render, project_name: str, package_name: str
) -> None:
    # Copier does not validate defaults, so the default itself must be safe.
    assert (
        answers(copy_template(project_name=project_name))["package_name"]
        == package_name
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"project_name": "   "}, "project_name must not be empty"),
        (
            {"project_slug": "-bad-"},
            "project_slug '-bad-' is not a valid distribution name",
        ),
        (
            {"project_slug": "my app"},
            "project_slug 'my app' is not a valid distribution name",
        ),
        (
            {"package_name": "1app"},
            "package_name '1app' is not a valid Python identifier",
        ),
        (
            {"package_name": "my-app"},
            "package_name 'my-app' is not a valid Python identifier",
        ),
        ({"package_name": "x" * 33}, "is longer than 32 characters"),
        ({"package_name": "MyApp"}, "package_name 'MyApp' must be lowercase"),
        ({"package_name": "class"}, "package_name 'class' is a Python keyword"),
        ({"package_name": "json"}, "would shadow the standard library module"),
        ({"package_name": "test"}, "would shadow the standard library module"),
        (
            {"package_name": "dash"},
            "would shadow the 'dash' module the app or its tooling imports",
        ),
        ({"package_name": "redis"}, "would shadow the 'redis' module"),
        ({"package_name": "tests"}, "would shadow the 'tests' module"),
        ({"package_name": "pandas"}, "would shadow the 'pandas' module"),
        (
            {"author_email": "nobody"},
            "author_email 'nobody' does not look like an email",
        ),
        ({"author_email": "a@b"}, "author_email 'a@b' does not look like an email"),
        (
            {"aio_components": ["charts"]},
            "Invalid choice for 'aio_components': 'charts' is not in",
        ),
    ],
)
def test_bad_answers_are_refused_with_a_clear_message(
    copy_template: Render, data: dict, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        copy_template(**data)


def test_serialized_multiselect_data_is_accepted(copy_template: Render) -> None:
    # What `copier copy --data 'aio_components=[...]'` passes on the command line.
    project = copy_template(aio_components='["datatable", "markdown_with_color"]')
    # Stored in the order of the choices, whatever order was given.
    assert answers(project)["aio_components"] == ["markdown_with_color", "datatable"]
