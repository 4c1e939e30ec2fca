"""DashClient: fire any callback of the app over HTTP, exactly as the browser does.

A test names what changed (a component id, a property, its new value) and the values
of the other components on the page; the client finds the callback the app registered
for that input and builds the request the renderer would send: every input and state
in the callback's order, its outputs, MATCH filled in from the changed id, ALL from the
components given. The request goes through Flask, the app's request checks, Dash's
dispatcher and the registered callback, so it proves the app, not just a function.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterable, Sequence
from typing import Any

from dash import Dash

from .renderer_requests import (
    Callback,
    ComponentId,
    Held,
    id_json,
    request_by_key,
    takes,
)

__all__ = ["Changed", "ComponentId", "DashClient", "RemoteDash", "id_json"]


class Changed(dict[str, dict[str, Any]]):
    """A callback's answer: `{id as JSON: {property: new value}}` for the outputs it
    changed (none when `status` is 204: every output left as it was)."""

    def __init__(self, status: int, response: dict[str, dict[str, Any]]) -> None:
        super().__init__(response)
        self.status = status

    def value(self, component_id: ComponentId, prop: str) -> Any:
        """The new value of one output (KeyError: left as it was)."""
        return self[id_json(component_id)][prop]

    def by_prop(self) -> dict[str, Any]:
        """The new values by property name (when no two outputs share one)."""
        return {prop: value for props in self.values() for prop, value in props.items()}


class _Renderer:
    """What the browser's renderer sends; subclasses say how the request travels."""

    def __init__(self) -> None:
        self._callbacks: list[Callback] | None = None

    def send(self, body: str | bytes | dict[str, Any]) -> tuple[int, Any]:
        """POST `body` to `/_dash-update-component` as is: its status and JSON."""
        raise NotImplementedError

    def dependencies(self) -> list[dict[str, Any]]:
        """The app's callbacks as `/_dash-dependencies` describes them."""
        raise NotImplementedError

    def callbacks(self) -> list[Callback]:
        """The app's server-side callbacks (clientside ones send no request)."""
        if self._callbacks is None:
            self._callbacks = [
                Callback.of(spec)
                for spec in self.dependencies()
                if not spec.get("clientside_function")
            ]
        return self._callbacks

    def _one(self, found: list[Callback], what: str) -> Callback:
        if len(found) != 1:
            keys = [callback.key for callback in found]
            hint = " (name one by its `output`)" if found else ""
            raise LookupError(f"{len(found)} callbacks {what}: {keys}{hint}")
        return found[0]

    def callback_for(
        self,
        component_id: ComponentId,
        prop: str,
        output: tuple[ComponentId, str] | None = None,
    ) -> Callback:
        """The one callback `prop` of `component_id` fires, narrowed to the one
        setting `output` if given."""
        found = [
            callback
            for callback in self.callbacks()
            if takes(callback.inputs, component_id, prop)
            and (output is None or takes(callback.outputs, *output))
        ]
        return self._one(found, f"take {id_json(component_id)}.{prop}")

    def request_for(
        self,
        component_id: ComponentId,
        prop: str,
        value: Any,
        *,
        given: Iterable[Held] = (),
        output: tuple[ComponentId, str] | None = None,
    ) -> dict[str, Any]:
        """The body the renderer POSTs when `prop` of `component_id` becomes `value`
        (see `fire`), to send altered."""
        callback = self.callback_for(component_id, prop, output)
        return callback.request((component_id, prop, value), [*given])

    def fire(
        self,
        component_id: ComponentId,
        prop: str,
        value: Any,
        *,
        given: Iterable[Held] = (),
        output: tuple[ComponentId, str] | None = None,
    ) -> Changed:
        """Fire the callback `prop` of `component_id` triggers, as if it became
        `value`; the other inputs and states hold what `given` says (else None).

        `given`: `(component id, property, value)` of the page's other components
        (for an ALL input, state or output: every matching one). `output`, a
        `(component id, property)` the callback sets, picks it when several take
        this input.
        """
        body = self.request_for(component_id, prop, value, given=given, output=output)
        return self.fire_request(body)

    def fire_initial(
        self, output: tuple[ComponentId, str], *, given: Iterable[Held] = ()
    ) -> Changed:
        """Fire the callback that sets `output` as the renderer does when the page
        loads: nothing changed yet, every input and state as `given`."""
        found = [c for c in self.callbacks() if takes(c.outputs, *output)]
        callback = self._one(found, f"set {id_json(output[0])}.{output[1]}")
        return self.fire_request(callback.request(None, [*given]))

    def fire_request(self, body: dict[str, Any]) -> Changed:
        """Send a callback request; what it changed (200, or 204: nothing)."""
        status, answer = self.send(body)
        assert status in (200, 204), answer
        return Changed(status, answer["response"] if status == 200 else {})

    def call(
        self,
        callback: str,
        outputs: Sequence[tuple[ComponentId, str]],
        inputs: Sequence[Held],
        state: Sequence[Held] = (),
    ) -> dict[str, dict[str, Any]]:
        """The old way (page tests of releases up to 0.7): fire the callback whose key
        is `callback`, its outputs, inputs and states spelled out, as if `inputs[0]`
        changed. Prefer `fire`, which takes them from the registered callback."""
        body = request_by_key(callback, outputs, inputs, state)
        return dict(self.fire_request(body))

    def page(self, pathname: str) -> str:
        """The JSON of the layout Dash Pages' router serves for `pathname`."""
        changed = self.fire(
            "_pages_location",
            "pathname",
            pathname,
            given=[("_pages_location", "search", "")],
            output=("_pages_content", "children"),
        )
        return json.dumps(changed.value("_pages_content", "children"))

    def page_request(self, pathname: str) -> dict[str, Any]:
        """The router's request body for `pathname` (to make malformed ones from)."""
        return self.request_for(
            "_pages_location",
            "pathname",
            pathname,
            given=[("_pages_location", "search", "")],
            output=("_pages_content", "children"),
        )


class DashClient(_Renderer):
    """Fires the app's callbacks in-process, through Flask's test client."""

    def __init__(self, app: Dash) -> None:
        super().__init__()
        self.app = app
        self.http = app.server.test_client()

    def dependencies(self) -> list[dict[str, Any]]:
        return self.http.get("/_dash-dependencies").get_json()

    def send(self, body: str | bytes | dict[str, Any]) -> tuple[int, Any]:
        response = self.http_send(body)
        answer = response.get_json(silent=True)
        return response.status_code, (
            answer if answer is not None else response.get_data(as_text=True)
        )

    def http_send(self, body: str | bytes | dict[str, Any]) -> Any:
        """POST `body` (JSON, or text as is): Flask's whole response, for tests of
        malformed and oversized requests."""
        data = json.dumps(body) if isinstance(body, dict) else body
        return self.http.post(
            "/_dash-update-component", data=data, content_type="application/json"
        )


class RemoteDash(_Renderer):
    """DashClient's calls over real HTTP, to a running server (gunicorn, Docker...)."""

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url.rstrip("/")

    def dependencies(self) -> list[dict[str, Any]]:
        with urllib.request.urlopen(self.url + "/_dash-dependencies", timeout=30) as r:
            return json.load(r)

    def send(self, body: str | bytes | dict[str, Any]) -> tuple[int, Any]:
        data = json.dumps(body) if isinstance(body, dict) else body
        request = urllib.request.Request(
            self.url + "/_dash-update-component",
            data=data.encode() if isinstance(data, str) else data,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                text = response.read()
                return response.status, json.loads(text) if text else None
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")
