"""Mechanical checks of Dash's All-in-One convention, for our components and yours.

`find_components(package)` imports every module of a package and returns its AIO
classes; `problems(cls, declared)` returns what breaks the convention, each message
naming the rule (numbered as in Dash's docs) and the fix. `declared` is every callback
declared with `dash.callback`, by output (`shared_callbacks.declared_callbacks()`). The points that cannot be checked by a machine (readable source)
are left to review.
"""

from __future__ import annotations

import copy
import importlib
import inspect
import pkgutil
import typing
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd
from dash.development.base_component import Component

ID_KEYS = {"component", "subcomponent", "aio_id"}

# Values for required parameters, by annotation, so a component can be built blind.
SAMPLES: dict[Any, Callable[[], Any]] = {
    str: lambda: "sample",
    int: lambda: 1,
    float: lambda: 1.0,
    bool: lambda: False,
    list: list,
    dict: dict,
    pd.DataFrame: lambda: pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}),
}


def find_components(package: str) -> list[type]:
    """Every AIO class defined in `package` or its subpackages (imports them all)."""
    root = importlib.import_module(package)
    modules = [root] + [
        importlib.import_module(info.name)
        for info in pkgutil.walk_packages(root.__path__, f"{package}.")
    ]
    found = {
        obj
        for module in modules
        for obj in vars(module).values()
        if inspect.isclass(obj)
        and obj.__module__ == module.__name__
        and (obj.__name__.endswith("AIO") or _looks_like_aio(obj))
    }
    return sorted(found, key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")


def _looks_like_aio(cls: type) -> bool:
    return issubclass(cls, Component) and inspect.isclass(vars(cls).get("ids"))


def _is_container(cls: type) -> bool:
    """A subclass of a Dash component that takes `children` (html.Div and the like)."""
    if not issubclass(cls, Component):
        return False
    base = next(b for b in cls.__mro__ if b.__module__.startswith("dash"))
    return "children" in inspect.signature(base.__init__).parameters


def subcomponents(cls: type) -> dict[str, Callable[..., Any]]:
    """The id builders of `cls.ids`, by subcomponent name."""
    ids = vars(cls).get("ids")
    if not inspect.isclass(ids):
        return {}
    return {
        name: getattr(ids, name)
        for name in vars(ids)
        if not name.startswith("_") and callable(getattr(ids, name))
    }


def problems(cls: type, declared: Mapping[str, dict[str, Any]]) -> list[str]:
    """What in `cls` breaks the AIO convention (empty when it follows it)."""
    name = cls.__name__
    found: list[str] = []
    if not name.endswith("AIO"):
        found.append(f"{name}: (1) AIO suffix: rename it {name}AIO")
    if not _is_container(cls):
        found.append(f"{name}: (1) subclass html.Div (or another Dash container)")
    builders = subcomponents(cls)
    if not builders:
        found.append(
            f"{name}: (2) ids: add a class `ids` with one pattern-matching id builder "
            "per subcomponent, e.g. `def table(aio_id): return {...}`"
        )
    for sub, builder in builders.items():
        found += _check_builder(name, sub, builder)
    parameters = inspect.signature(cls.__init__).parameters
    if "id" in parameters:
        found.append(f"{name}: (5) aio_id: remove the `id` parameter, take `aio_id`")
    if "aio_id" not in parameters:
        found.append(
            f"{name}: (5) aio_id: add an `aio_id: str | None = None` parameter"
        )
    for param in parameters:
        if param.endswith("_props") and param[: -len("_props")] not in builders:
            found.append(
                f"{name}: (3) `{param}` names no subcomponent; rename it after an "
                f"`ids` entry ({', '.join(builders) or 'none yet'})"
            )
    found += _check_callbacks(cls, declared)
    found += _check_no_mutation(cls, parameters)
    found += _check_docstring(cls, builders)
    return found


def _check_builder(name: str, sub: str, builder: Callable[..., Any]) -> list[str]:
    where = f"{name}: (2) ids.{sub}"
    try:
        made = builder("check")
    except TypeError as error:
        return [f"{where} must take the aio_id as its one argument ({error})"]
    if not isinstance(made, dict) or set(made) != ID_KEYS:
        return [f"{where}('x') must return a dict with keys {sorted(ID_KEYS)}"]
    if made != {"component": name, "subcomponent": sub, "aio_id": "check"}:
        return [
            f"{where}('x') returned {made}; expected component={name!r}, "
            f"subcomponent={sub!r}, aio_id='x'"
        ]
    return []


def _check_callbacks(cls: type, declared: Mapping[str, dict[str, Any]]) -> list[str]:
    """(4) dash.callback, (6) declared at class level so they register on import."""
    mine = [
        entry
        for entry in declared.values()
        if _qualname(entry["callback"]).startswith(f"{cls.__qualname__}.")
    ]
    if not mine:
        return [
            f"{cls.__name__}: (4, 6) no callback declared with `dash.callback` in the "
            "class body; decorate its callbacks with `@callback(...)` inside the class "
            "(never `app.callback`), so they register when the module is imported"
        ]
    return []


def _qualname(function: Any) -> str:
    return getattr(inspect.unwrap(function), "__qualname__", "")


def _check_no_mutation(
    cls: type, parameters: dict[str, inspect.Parameter]
) -> list[str]:
    """(3) the caller's `<sub>_props` dicts must come back untouched."""
    name = cls.__name__
    try:
        args = _required_arguments(cls, parameters)
    except LookupError as error:
        return [f"{name}: cannot build it to check (3): {error}"]
    # `**datatable_props`-style catch-alls are a fresh dict on every call already.
    props_params = [
        p
        for p, param in parameters.items()
        if p.endswith("_props") and param.kind is not param.VAR_KEYWORD
    ]
    for nested in ({"style": {"margin": "1px"}}, {}):
        given = {p: copy.deepcopy(nested) for p in props_params}
        try:
            cls(**args, **given, aio_id="convention-check")
        except TypeError:
            continue  # a subcomponent without `style`: try plain dicts
        changed = [p for p in props_params if given[p] != nested]
        return [
            f"{name}: (3) `{p}` was modified; copy it before merging defaults, "
            "e.g. `props = {**defaults, **(props or {})}`"
            for p in changed
        ]
    return [f"{name}: cannot build it with empty `*_props` to check (3)"]


def _required_arguments(cls: type, parameters: dict[str, inspect.Parameter]) -> dict:
    hints = typing.get_type_hints(cls.__init__)
    args = {}
    for param in parameters.values():
        hint = hints.get(param.name)
        if param.name == "self" or param.kind in (
            param.VAR_POSITIONAL,
            param.VAR_KEYWORD,
        ):
            continue
        if param.default is not inspect.Parameter.empty:
            # Optional data (`df: DataFrame | None = None`) is filled too: components
            # that take `df=` or `data=` need one of them.
            if pd.DataFrame in typing.get_args(hint):
                args[param.name] = SAMPLES[pd.DataFrame]()
            continue
        sample = SAMPLES.get(typing.get_origin(hint) or hint)
        if sample is None:
            raise LookupError(
                f"give `{param.name}` a default or a type annotation among "
                f"{', '.join(t.__name__ for t in SAMPLES)}"
            )
        args[param.name] = sample()
    return args


def _check_docstring(cls: type, builders: dict[str, Callable[..., Any]]) -> list[str]:
    """(7) readable source: the docstring names each subcomponent and its id."""
    doc = inspect.getdoc(cls) or ""
    missing = [sub for sub in builders if f"ids.{sub}(" not in doc]
    if not doc or missing:
        return [
            f"{cls.__name__}: (7) the docstring must name each subcomponent and how "
            f"to reach its id; add `{cls.__name__}.ids.<name>(aio_id)` for: "
            f"{', '.join(missing) or 'every subcomponent'}"
        ]
    return []
