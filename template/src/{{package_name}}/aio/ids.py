"""Pattern-matching ids shared by every AIO component's `ids` class."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:
    from dash.dependencies import _Wildcard

#: An instance id (`str`), or `dash.MATCH` / `dash.ALL` in callbacks.
AioId: TypeAlias = "str | _Wildcard"
SubcomponentId: TypeAlias = "dict[str, str | _Wildcard]"


def subcomponent_id(component: str, subcomponent: str, aio_id: AioId) -> SubcomponentId:
    """The id of one subcomponent of one component instance (or of all, with MATCH)."""
    return {"component": component, "subcomponent": subcomponent, "aio_id": aio_id}
