"""Reading a served layout (its JSON, as `DashClient.page` returns it), and test-only
pages of the running app."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import dash
from dash.development.base_component import Component


def texts(node: Any) -> Iterator[str]:
    """Every string in a serialised layout or component (props included)."""
    if isinstance(node, Component):
        node = node.to_plotly_json()
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from texts(value)
    elif isinstance(node, list | tuple):
        for value in node:
            yield from texts(value)


def text_of(node: Any) -> str:
    """The strings of a layout or component joined by spaces: what a test reads."""
    return " ".join(texts(node))


def props_of(layout: str, component_id: str | dict[str, Any]) -> dict[str, Any]:
    """The props of the component with `component_id` in a served layout (JSON);
    empty if there is none."""

    def walk(node: Any) -> dict[str, Any] | None:
        if isinstance(node, dict):
            if node.get("props", {}).get("id") == component_id:
                return node["props"]
            node = list(node.values())
        for child in node if isinstance(node, list) else []:
            found = walk(child)
            if found is not None:
                return found
        return None

    return walk(json.loads(layout)) or {}


@contextmanager
def registered_page(name: str, path: str, layout: Any) -> Iterator[str]:
    """A test-only page of the running app at `path` while the block runs: components
    tested on a layout of their own, not on a sample page (which is yours to change).

    `layout`: what `dash.register_page` takes, a component or a function returning one.
    """
    dash.register_page(name, path=path, name=name, layout=layout)
    try:
        yield path
    finally:
        dash.page_registry.pop(name, None)
