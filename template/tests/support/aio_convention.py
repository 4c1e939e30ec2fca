"""Mechanical checks of Dash's All-in-One convention, for our components and yours.

`find_components(package)` imports every module of a package (`aio/`, your
`components/`, anywhere) and returns its AIO classes; `problems(cls, declared)` returns
what breaks the convention, each message naming the rule (numbered as in Dash's docs)
and the fix. `declared` is every callback declared with `dash.callback`, by output
(`shared_callbacks.declared_callbacks()`). The points that cannot be checked by a
machine (readable source) are left to review.

It checks your code too, so it reports only what it can prove: a component it cannot
build from sample arguments is not checked for (3) mutation, a subclass of a component
is checked against the `ids` and callbacks it inherits, and callbacks count however
they are declared with `dash.callback` or `dash.clientside_callback`.
"""

from __future__ import annotations

import copy
import importlib
import inspect
import json
import pkgutil
import types
import typing
import warnings
from collections.abc import Callable, Mapping, Sequence
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
    Sequence: list,
    dict: dict,
    Mapping: dict,
    pd.DataFrame: lambda: pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}),
}


def find_components(package: str) -> list[type]:
    """Every AIO class defined in `package` or its subpackages (imports them all):
    a Dash component named `*AIO` or with an `ids` class, or any class with both (so
    an exception or enum of yours named `*AIO` is not taken for one)."""
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
        and _looks_like_aio(obj)
    }
    return sorted(found, key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")


def _looks_like_aio(cls: type) -> bool:
    named = cls.__name__.endswith("AIO")
    has_ids = inspect.isclass(getattr(cls, "ids", None))
    if issubclass(cls, Component):
        return named or has_ids
    return named and has_ids


def _is_container(cls: type) -> bool:
    """A subclass of a Dash component that takes `children` (html.Div and the like)."""
    if not issubclass(cls, Component):
        return False
    # The generated class it derives from (any library's: dcc, html, dash_mantine...):
    # the first in the MRO that declares its JavaScript type.
    base = next((b for b in cls.__mro__ if "_type" in vars(b)), Component)
    return "children" in inspect.signature(base.__init__).parameters


def ids_owner(cls: type) -> type:
    """The class whose `ids` `cls` uses: itself, or the component it subclasses."""
    return next((c for c in cls.__mro__ if inspect.isclass(vars(c).get("ids"))), cls)


def subcomponents(cls: type) -> dict[str, Callable[..., Any]]:
    """The id builders of `cls.ids` (its own or inherited), by subcomponent name."""
    ids = getattr(cls, "ids", None)
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
    # A subclass of a component (yours, customising ours) keeps its parent's ids,
    # callbacks and docstring: those are checked on the class that defines them.
    owner = ids_owner(cls)
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
        found += _check_builder(owner.__name__, sub, builder)
    parameters = inspect.signature(cls.__init__).parameters
    if "id" in parameters:
        found.append(f"{name}: (5) aio_id: remove the `id` parameter, take `aio_id`")
    # A subclass may pass `**kwargs` (aio_id among them) on to the component it extends.
    forwards = owner is not cls and any(
        p.kind is p.VAR_KEYWORD for p in parameters.values()
    )
    if "aio_id" not in parameters and not forwards:
        found.append(
            f"{name}: (5) aio_id: add an `aio_id: str | None = None` parameter"
        )
    for param, kind in ((p.name, p.kind) for p in parameters.values()):
        if kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            continue  # `*args` / `**kwargs`: not an argument name callers write
        if param.endswith("_props") and param[: -len("_props")] not in builders:
            found.append(
                f"{name}: (3) `{param}` names no subcomponent; rename it after an "
                f"`ids` entry ({', '.join(builders) or 'none yet'})"
            )
    found += _check_callbacks(owner, declared)
    found += _check_no_mutation(cls, parameters)
    found += _check_docstring(owner, builders)
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
    """(4) dash.callback, (6) declared when the module is imported: in the class body,
    or anywhere with `dash.callback` / `dash.clientside_callback` on the class's ids
    (a clientside callback has no Python function to find)."""
    mine = [
        entry
        for entry in declared.values()
        if _qualname(entry.get("callback")).startswith(f"{cls.__qualname__}.")
        or any(_matches_instances(cls, dep) for dep in entry.get("inputs", []))
    ]
    if not mine:
        return [
            f"{cls.__name__}: (4, 6) no callback declared with `dash.callback` in the "
            "class body; decorate its callbacks with `@callback(...)` inside the class "
            "(never `app.callback`), so they register when the module is imported"
        ]
    return []


def _matches_instances(cls: type, dependency: Mapping[str, Any]) -> bool:
    """Whether a callback input is a subcomponent of `cls` with a wildcard `aio_id`
    (MATCH or ALL): the component's own callback, not a page's on one instance."""
    try:
        made = json.loads(dependency.get("id", ""))
    except (TypeError, ValueError):
        return False  # a plain string id
    return (
        isinstance(made, dict)
        and made.get("component") == cls.__name__
        and isinstance(made.get("aio_id"), list)  # Dash spells MATCH as ["MATCH"]
    )


def _qualname(function: Any) -> str:
    return getattr(inspect.unwrap(function), "__qualname__", "")


def _check_no_mutation(
    cls: type, parameters: Mapping[str, inspect.Parameter]
) -> list[str]:
    """(3) the caller's `<sub>_props` dicts must come back untouched.

    Checked on a component `build_sample` can build; one that needs what no sample
    gives (a figure, a store key) or refuses the samples is left to its own tests.
    """
    # `**datatable_props`-style catch-alls are a fresh dict on every call already.
    props_params = [
        p
        for p, param in parameters.items()
        if p.endswith("_props") and param.kind is not param.VAR_KEYWORD
    ]
    for nested in ({"style": {"margin": "1px"}}, {}):
        given = {p: copy.deepcopy(nested) for p in props_params}
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # a warning of yours is not a breach
                build_sample(cls, given)
        except Exception:  # any failure: nothing provable with these dicts
            continue  # e.g. a subcomponent without `style`: try plain dicts
        return [
            f"{cls.__name__}: (3) `{p}` was modified; copy it before merging "
            "defaults, e.g. `props = {**defaults, **(props or {})}`"
            for p in props_params
            if given[p] != nested
        ]
    return []


def build_sample(cls: type, props: Mapping[str, Any] | None = None) -> Any:
    """`cls` built from sample arguments, with `props` (`{"grid_props": {...}}`) and
    `aio_id="convention-check"`; a LookupError names a required argument no sample
    fits, else whatever the constructor raises."""
    parameters = inspect.signature(cls.__init__).parameters
    positional, keywords = _sample_arguments(cls, parameters)
    if "aio_id" in parameters:
        keywords["aio_id"] = "convention-check"
    return cls(*positional, **keywords, **(props or {}))


def _sample_arguments(
    cls: type, parameters: Mapping[str, inspect.Parameter]
) -> tuple[list[Any], dict[str, Any]]:
    """A sample for each required parameter, by its annotation; and a DataFrame for
    the first optional one that takes it (components taking `data=` need data)."""
    try:
        hints = typing.get_type_hints(cls.__init__)
    except Exception:  # e.g. names imported under TYPE_CHECKING only
        hints = {}
    positional: list[Any] = []
    keywords: dict[str, Any] = {}
    takes_data = False
    for param in parameters.values():
        if param.name in ("self", "aio_id") or param.kind in (
            param.VAR_POSITIONAL,
            param.VAR_KEYWORD,
        ):
            continue
        hint = hints.get(param.name)
        if param.default is not param.empty:
            if not takes_data and pd.DataFrame in _alternatives(hint):
                keywords[param.name] = SAMPLES[pd.DataFrame]()
                takes_data = True
            continue
        sample = next(
            (
                SAMPLES[kind]
                for kind in _alternatives(hint)
                if kind in SAMPLES  # a DataFrame first, where it is one of them
            ),
            None,
        )
        if sample is None:
            raise LookupError(
                f"no sample for `{param.name}`: annotate it with one of "
                f"{', '.join(t.__name__ for t in SAMPLES)}, or give it a default"
            )
        if param.kind is param.POSITIONAL_ONLY:
            positional.append(sample())
        else:
            keywords[param.name] = sample()
    return positional, keywords


def _alternatives(hint: Any) -> list[Any]:
    """The types a hint admits (`pd.DataFrame | str` -> both), DataFrame first,
    generics by their origin (`list[str]` -> list)."""
    union = typing.get_origin(hint) in (typing.Union, types.UnionType)
    kinds = [
        typing.get_origin(k) or k for k in (typing.get_args(hint) if union else [hint])
    ]
    return sorted(kinds, key=lambda kind: kind is not pd.DataFrame)


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
