"""DashClient: drive a Dash app's callbacks over HTTP, as the browser does."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from dash import Dash


def _id_str(component_id: str | dict[str, Any]) -> str:
    """An id as Dash's renderer spells it in requests (dict ids: sorted, compact)."""
    if isinstance(component_id, str):
        return component_id
    return json.dumps(component_id, sort_keys=True, separators=(",", ":"))


class DashClient:
    """Calls an app's callbacks over HTTP, exactly as the browser's renderer does.

    No browser needed: the request goes through Flask, Dash's dispatcher and the
    callback registered on this app, so it proves the app (not just the function).
    """

    def __init__(self, app: Dash) -> None:
        self.app = app
        self.http = app.server.test_client()

    def call(
        self,
        callback: str,
        outputs: Sequence[tuple[Any, str]],
        inputs: Sequence[tuple[Any, str, Any]],
        state: Sequence[tuple[Any, str, Any]] = (),
    ) -> dict[str, dict[str, Any]]:
        """Fire `callback` (its key, e.g. `str(Output(...))`) as if `inputs[0]` changed.

        Returns `{id string: {property: new value}}` for the outputs that changed.
        """
        multi = callback.startswith("..")
        spec = [{"id": cid, "property": prop} for cid, prop in outputs]
        payload = {
            "output": callback,
            "outputs": spec if multi else spec[0],
            "inputs": [{"id": c, "property": p, "value": v} for c, p, v in inputs],
            "state": [{"id": c, "property": p, "value": v} for c, p, v in state],
            "changedPropIds": [f"{_id_str(inputs[0][0])}.{inputs[0][1]}"],
        }
        response = self.http.post("/_dash-update-component", json=payload)
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()["response"]

    def page(self, pathname: str) -> str:
        """The JSON of the layout Dash Pages' router serves for `pathname`."""
        response = self.call(
            ".._pages_content.children..._pages_store.data..",
            outputs=[("_pages_content", "children"), ("_pages_store", "data")],
            inputs=[
                ("_pages_location", "pathname", pathname),
                ("_pages_location", "search", ""),
            ],
        )
        return json.dumps(response["_pages_content"]["children"])


def texts(node: Any) -> Iterator[str]:
    """Every string in a serialised layout."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from texts(value)
    elif isinstance(node, list):
        for value in node:
            yield from texts(value)
