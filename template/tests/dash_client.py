"""DashClient: drive a Dash app's callbacks over HTTP, as the browser does."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import dash
from dash import Dash


def _id_str(component_id: str | dict[str, Any]) -> str:
    """An id as Dash's renderer spells it in requests (dict ids: sorted, compact)."""
    if isinstance(component_id, str):
        return component_id
    return json.dumps(component_id, sort_keys=True, separators=(",", ":"))


class _Renderer:
    """What the browser's Dash renderer sends; subclasses say where to POST it."""

    def post(self, payload: dict[str, Any]) -> dict[str, Any]:
        """POST `payload` to `/_dash-update-component`; the `response` it answers."""
        raise NotImplementedError

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
        return self.post(callback_payload(callback, outputs, inputs, state))

    def page(self, pathname: str) -> str:
        """The JSON of the layout Dash Pages' router serves for `pathname`."""
        response = self.post(page_payload(pathname))
        return json.dumps(response["_pages_content"]["children"])


class DashClient(_Renderer):
    """Calls an app's callbacks over HTTP, exactly as the browser's renderer does.

    No browser needed: the request goes through Flask, Dash's dispatcher and the
    callback registered on this app, so it proves the app (not just the function).
    """

    def __init__(self, app: Dash) -> None:
        self.app = app
        self.http = app.server.test_client()

    def post(self, payload: dict[str, Any]) -> dict[str, Any]:
        response = self.http.post("/_dash-update-component", json=payload)
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()["response"]


class RemoteDash(_Renderer):
    """DashClient's calls over real HTTP, to a running server (gunicorn, Docker...)."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")

    def post(self, payload: dict[str, Any]) -> dict[str, Any]:
        request = urllib.request.Request(
            self.url + "/_dash-update-component",
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)["response"]


def callback_payload(
    callback: str,
    outputs: Sequence[tuple[Any, str]],
    inputs: Sequence[tuple[Any, str, Any]],
    state: Sequence[tuple[Any, str, Any]] = (),
) -> dict[str, Any]:
    """The body the renderer POSTs to `/_dash-update-component` for `callback`."""
    multi = callback.startswith("..")
    spec = [{"id": cid, "property": prop} for cid, prop in outputs]
    return {
        "output": callback,
        "outputs": spec if multi else spec[0],
        "inputs": [{"id": c, "property": p, "value": v} for c, p, v in inputs],
        "state": [{"id": c, "property": p, "value": v} for c, p, v in state],
        "changedPropIds": [f"{_id_str(inputs[0][0])}.{inputs[0][1]}"],
    }


def page_payload(pathname: str) -> dict[str, Any]:
    """The body the Dash Pages router POSTs when the browser opens `pathname`."""
    return callback_payload(
        ".._pages_content.children..._pages_store.data..",
        outputs=[("_pages_content", "children"), ("_pages_store", "data")],
        inputs=[
            ("_pages_location", "pathname", pathname),
            ("_pages_location", "search", ""),
        ],
    )


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
