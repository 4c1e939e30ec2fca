"""Start a new All-in-One component that already follows the convention.

    uv run python scripts/new_aio.py ColorPicker

writes `src/<package>/components/color_picker.py` (class `ColorPickerAIO`: ids,
props, callback, docstring, called by the components' one calling rule) and
`tests/test_color_picker.py`, both passing ruff and the convention check. Import it
with `from <package>.components.color_picker import ColorPickerAIO`.

Both files are yours: `components/` and the test modules at the top of `tests/` are
user-owned (copier.yml's `_skip_if_exists`), so `copier update` never merges into
them. `aio/` is the template's, upgraded by every update: nothing is written there.
"""

from __future__ import annotations

import argparse
import keyword
import re
import sys
from pathlib import Path
from string import Template

ROOT = Path(__file__).resolve().parents[1]

COMPONENT = Template('''"""$cls: <what it does, in one line>."""

from __future__ import annotations

import uuid
from typing import Any

from dash import MATCH, Input, Output, callback, dcc, html

from ..aio.ids import AioId, SubcomponentId, subcomponent_id


class $cls(html.Div):
    """<What the component does.>

    The parent `html.Div` holds two subcomponents:

    - `input`: a `dcc.Input`; id `$cls.ids.input(aio_id)`.
    - `output`: an `html.Div` showing what was typed; id `$cls.ids.output(aio_id)`.

    Arguments (as every component takes them: what it shows by position, the rest
    by keyword):

    - `value`: the text the input starts with.
    - `aio_id`: the id shared by the subcomponents' ids; a random UUID if omitted.
    - `input_props`: properties for the `dcc.Input` (override the defaults).
    - `output_props`: properties for the `html.Div` (override the defaults).
    """

    class ids:
        """Pattern-matching ids of the subcomponents (`aio_id` may be `dash.MATCH`)."""

        @staticmethod
        def input(aio_id: AioId) -> SubcomponentId:
            return subcomponent_id("$cls", "input", aio_id)

        @staticmethod
        def output(aio_id: AioId) -> SubcomponentId:
            return subcomponent_id("$cls", "output", aio_id)

    def __init__(
        self,
        value: str = "",
        *,
        aio_id: str | None = None,
        input_props: dict[str, Any] | None = None,
        output_props: dict[str, Any] | None = None,
    ) -> None:
        if aio_id is None:
            aio_id = str(uuid.uuid4())
        input_props = {"type": "text", "value": value, **(input_props or {})}
        output_props = {**(output_props or {})}
        super().__init__(
            [
                dcc.Input(id=self.ids.input(aio_id), **input_props),
                html.Div(id=self.ids.output(aio_id), **output_props),
            ],
            className="aio $css",
        )

    @staticmethod
    @callback(
        Output(ids.output(MATCH), "children"),
        Input(ids.input(MATCH), "value"),
    )
    def show_value(value: str | None) -> str:
        """Echo the input of the instance that changed."""
        return value or ""
''')

TEST = Template('''"""$cls: ids, construction and its callback."""

from __future__ import annotations

from dash import dcc, html

from $package.components.$module import $cls


def test_ids_name_the_component() -> None:
    assert $cls.ids.input("a") == {
        "component": "$cls",
        "subcomponent": "input",
        "aio_id": "a",
    }


def test_props_pass_through_without_mutation() -> None:
    input_props = {"placeholder": "Type here"}
    component = $cls("hi", aio_id="a", input_props=input_props)
    text_input, output = component.children
    assert isinstance(text_input, dcc.Input)
    assert isinstance(output, html.Div)
    assert text_input.value == "hi"
    assert text_input.placeholder == "Type here"
    assert text_input.id == $cls.ids.input("a")
    assert input_props == {"placeholder": "Type here"}


def test_callback_echoes_the_value() -> None:
    assert $cls.show_value("hello") == "hello"
    assert $cls.show_value(None) == ""
''')


# Written when the project has no `components/` package yet (deleted, or a project
# generated before 0.8.0 whose update has not created it).
COMPONENTS_INIT = '''"""Your All-in-One components (scripts/new_aio.py starts one here).

Yours: `copier update` never touches this package. tests/app/test_aio_convention.py
checks every `*AIO` class in it, as it checks the template's in `aio/`.
"""
'''


class NameRefused(ValueError):
    """The component name cannot be used; the message says why."""


def names(raw: str) -> tuple[str, str]:
    """`ColorPicker` or `ColorPickerAIO` -> (`ColorPickerAIO`, `color_picker`)."""
    base = raw.removesuffix("AIO")
    if not raw.isidentifier() or not re.fullmatch(r"[A-Z][A-Za-z0-9]*", base):
        raise NameRefused(
            f"{raw!r} is not a CamelCase class name (letters and digits, starting with "
            "a capital, e.g. ColorPicker)"
        )
    module = re.sub(
        r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", base
    ).lower()
    if keyword.iskeyword(module):
        raise NameRefused(f"the module name {module!r} is reserved; pick another name")
    return f"{base}AIO", module


def create(raw: str, root: Path = ROOT) -> list[Path]:
    """Write the component and its test under `root`; return the new files."""
    cls, module = names(raw)
    (package,) = (p for p in (root / "src").iterdir() if (p / "__init__.py").is_file())
    components = package / "components"
    test = f"test_{module}.py"
    targets = [components / f"{module}.py", root / "tests" / test]
    for path in targets:
        if path.exists():
            raise NameRefused(f"{path.relative_to(root)} already exists")
    # pytest imports a test module outside a package by its file name alone: two of
    # one name cannot both run.
    for existing in (root / "tests").rglob(test):
        if not (existing.parent / "__init__.py").exists():
            raise NameRefused(
                f"{existing.relative_to(root)} already exists (test names must differ)"
            )
    for existing in package.rglob("*.py"):
        if re.search(rf"^class {cls}\b", existing.read_text(), re.MULTILINE):
            raise NameRefused(
                f"{cls} is already defined in {existing.relative_to(root)}"
            )
    css = module.replace("_", "-")
    components.mkdir(exist_ok=True)
    if not (components / "__init__.py").exists():
        (components / "__init__.py").write_text(COMPONENTS_INIT)
    targets[0].write_text(COMPONENT.substitute(cls=cls, css=css))
    targets[1].write_text(TEST.substitute(cls=cls, module=module, package=package.name))
    return targets


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", help="CamelCase name, e.g. ColorPicker")
    parser.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        written = create(args.name, args.root)
    except NameRefused as error:
        print(f"new_aio: {error}", file=sys.stderr)
        return 2
    for path in written:
        print(f"created {path.relative_to(args.root)}")
    cls, module = names(args.name)
    package = written[0].parent.parent.name
    print(f"import it: from {package}.components.{module} import {cls}")
    rule = "." + module.replace("_", "-") + " { ... }"
    print(f"style it in assets/style.css: {rule}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
