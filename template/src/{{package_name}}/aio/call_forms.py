"""The one calling rule of the AIO components, and the old call forms it replaced.

Every component is called the same way (0.8.0):

    Component(content, *, aio_id=None, <subcomponent>_props=None, ...options)

- `content`, the only positional argument: what the component shows. The frame of
  `DataTableAIO`, `GridAIO` and `GraphAIO` (a pandas DataFrame, or a `redis_store` key
  where the component accepts one), the text of `MarkdownWithColorAIO`; `UploadAIO`
  shows nothing until a file comes, so it takes none.
- `aio_id`, keyword only: the instance's id, a fresh UUID when omitted.
- `<subcomponent>_props`, keyword only: a dict of properties passed on to that
  subcomponent (`datatable_props`, `grid_props`, `graph_props`, `markdown_props`, ...).
- every other option is keyword only.

The forms of 0.7 and before (a positional `aio_id` or props dict, `df=`, DataTableAIO's
`**datatable_props` and row dicts in `data=`) keep working, with a `DeprecationWarning`
that says what to write instead, until 0.10.0 removes them. (0.8.0 announced 0.9.0: a
project updated from 0.7 straight to 0.9 would have lost them without ever seeing
the warning.)
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Sequence
from typing import Any

REMOVED_IN = "0.10.0"

# Frames of modules under this package are the components' own: a warning points at
# the first frame outside it, the line that called the component the old way (a page,
# or a subclass of the user's calling `super().__init__`).
_COMPONENT_MODULES = __name__.rpartition(".")[0] + "."


class AioCallFormWarning(DeprecationWarning):
    """An AIO component was called the way of 0.7 or before."""


def warn_old_form(component: str, old: str, new: str) -> None:
    """Warn, at the caller of the component's constructor, that `old` is replaced.

    The message starts "Deprecated AIO call form:", which pyproject.toml's
    filterwarnings shows instead of failing the tests of pages written for 0.7.
    """
    warnings.warn(
        f"Deprecated AIO call form: {component}({old}) is replaced by "
        f"{component}({new}); the old form stops working in {REMOVED_IN}.",
        AioCallFormWarning,
        stacklevel=_caller_level(),
    )


def _caller_level() -> int:
    """The `stacklevel` of the first frame outside the components' modules, counted
    from `warn_old_form` (1), however many helpers of the component lie between."""
    frame = inspect.currentframe()
    level = 0  # this function's own frame; `warn_old_form` is 1
    while frame is not None and frame.f_globals.get("__name__", "").startswith(
        _COMPONENT_MODULES
    ):
        frame = frame.f_back
        level += 1
    return level


def positional_options(
    component: str,
    args: Sequence[Any],
    names: Sequence[str],
    given: dict[str, Any],
) -> dict[str, Any]:
    """Map the old positional arguments `args` onto the keyword options `names`.

    `given` holds the keyword arguments the call passed (None when not passed); an
    option passed both ways is a TypeError, as Python's own calls make it.
    """
    if len(args) > len(names):
        raise TypeError(
            f"{component}() takes at most {len(names) + 1} positional arguments "
            f"({len(args) + 1} given); pass {', '.join(names)} by keyword"
        )
    options = {}
    for name, value in zip(names, args, strict=False):
        if given.get(name) is not None:
            raise TypeError(f"{component}() got multiple values for argument {name!r}")
        options[name] = value
    if options:
        old = ", ".join(["...", *("<" + name + ">" for name in options)])
        new = ", ".join(["...", *(f"{name}=..." for name in options)])
        warn_old_form(component, old, new)
    return options
