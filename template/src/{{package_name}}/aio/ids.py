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


# The tables whose filters other components follow (GraphAIO does), by the ids their
# components give them (`DataTableAIO.ids.datatable`, `GridAIO.ids.grid`): here, so
# that a follower imports neither component (a project may have only one of them).


def datatable_id(aio_id: AioId) -> SubcomponentId:
    """The id of the `DataTable` of the `DataTableAIO` `aio_id`."""
    return subcomponent_id("DataTableAIO", "datatable", aio_id)


def grid_id(aio_id: AioId) -> SubcomponentId:
    """The id of the `AgGrid` of the `GridAIO` `aio_id`."""
    return subcomponent_id("GridAIO", "grid", aio_id)
