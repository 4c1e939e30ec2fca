"""What the browser's renderer sends to `/_dash-update-component`: a registered
callback (as `/_dash-dependencies` describes it) and the request firing it, its
inputs, states and outputs filled in from the components of the page."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

ComponentId = str | dict[str, Any]
# (component id, property, value): what one component of the page holds.
Held = tuple[ComponentId, str, Any]
WILDCARDS = {"MATCH", "ALL", "ALLSMALLER"}


def id_json(component_id: ComponentId) -> str:
    """An id as Dash spells it in requests, responses and the DOM (dict ids: keys
    sorted, no spaces)."""
    if isinstance(component_id, str):
        return component_id
    return json.dumps(component_id, sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True)
class Dependency:
    """One input, state or output of a registered callback; `pattern` as Dash
    registered it (a dict id may hold wildcards: `["MATCH"]`, `["ALL"]`)."""

    pattern: ComponentId
    prop: str

    @classmethod
    def parse(cls, spelled: str, prop: str) -> Dependency:
        return cls(json.loads(spelled) if spelled.startswith("{") else spelled, prop)

    @property
    def is_multi(self) -> bool:
        """ALL/ALLSMALLER: the renderer sends a list, one entry per component."""
        return isinstance(self.pattern, dict) and any(
            value in (["ALL"], ["ALLSMALLER"]) for value in self.pattern.values()
        )

    def binds(self, component_id: ComponentId) -> dict[str, Any] | None:
        """The MATCH values `component_id` gives this pattern (None: no match)."""
        if not isinstance(self.pattern, dict) or not isinstance(component_id, dict):
            return {} if self.pattern == component_id else None
        if self.pattern.keys() != component_id.keys():
            return None
        bound = {}
        for key, wanted in self.pattern.items():
            if wanted == ["MATCH"]:
                bound[key] = component_id[key]
            elif not _is_wildcard(wanted) and wanted != component_id[key]:
                return None
        return bound

    def concrete(self, bound: dict[str, Any]) -> ComponentId:
        """The pattern with its MATCH keys filled in from `bound`."""
        if not isinstance(self.pattern, dict):
            return self.pattern
        return {k: bound[k] if v == ["MATCH"] else v for k, v in self.pattern.items()}

    def matching(self, held: Iterable[Held], bound: dict[str, Any]) -> list[Held]:
        """The components of `held` an ALL pattern takes, MATCH keys as `bound`."""
        found = []
        for component_id, prop, value in held:
            binding = self.binds(component_id)
            if (
                prop == self.prop
                and binding is not None
                and all(binding.get(k, v) == v for k, v in bound.items())
            ):
                found.append((component_id, prop, value))
        return found


def takes(
    dependencies: Iterable[Dependency], component_id: ComponentId, prop: str
) -> bool:
    """Whether one of `dependencies` is `prop` of `component_id` (or of its pattern)."""
    return any(
        d.prop == prop and d.binds(component_id) is not None for d in dependencies
    )


def _is_wildcard(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 1 and value[0] in WILDCARDS


@dataclass(frozen=True)
class Callback:
    """A server-side callback as the app registered it."""

    key: str  # `app.callback_map`'s key; the request's `output`
    outputs: tuple[Dependency, ...]
    inputs: tuple[Dependency, ...]
    state: tuple[Dependency, ...]
    multi: bool  # several outputs (a list of them in requests)

    @classmethod
    def of(cls, spec: dict[str, Any]) -> Callback:
        """From an entry of `/_dash-dependencies` (what the renderer reads)."""
        key = spec["output"]
        multi = key.startswith("..")  # a multi-output key: `..out1...out2..`
        outputs = []
        for output in key[2:-2].split("...") if multi else [key]:
            spelled, prop = output.rsplit(".", 1)
            # `prop@hash`: an output with allow_duplicate; requests name `prop`.
            outputs.append(Dependency.parse(spelled, prop.split("@")[0]))
        return cls(
            key,
            tuple(outputs),
            tuple(Dependency.parse(d["id"], d["property"]) for d in spec["inputs"]),
            tuple(Dependency.parse(d["id"], d["property"]) for d in spec["state"]),
            multi,
        )

    def request(self, changed: Held | None, held: Sequence[Held]) -> dict[str, Any]:
        """The body the renderer POSTs when `changed` changed (None: the page's first
        call), the page's components holding `held`."""
        everything = list(held)
        if changed is not None:  # the changed value replaces the one held, in place
            keys = [(i, p) for i, p, _ in everything]
            at = keys.index(changed[:2]) if changed[:2] in keys else len(everything)
            everything[at : at + 1] = [changed]
        bound: dict[str, Any] = {}  # the MATCH keys' values: the changed id's first
        for component_id, prop, _ in [*([changed] if changed else []), *held]:
            for dependency in (*self.inputs, *self.state, *self.outputs):
                if dependency.prop == prop and (
                    found := dependency.binds(component_id)
                ):
                    bound = found
                    break
            if bound:
                break

        def value_of(dependency: Dependency) -> Any:
            if dependency.is_multi:
                return [
                    {"id": i, "property": p, "value": v}
                    for i, p, v in dependency.matching(everything, bound)
                ]
            component_id = dependency.concrete(bound)
            value = None
            for held_id, prop, held_value in everything:
                if prop == dependency.prop and held_id == component_id:
                    value = held_value
            return {"id": component_id, "property": dependency.prop, "value": value}

        def output_of(dependency: Dependency) -> Any:
            if not dependency.is_multi:
                return {"id": dependency.concrete(bound), "property": dependency.prop}
            ids: list[ComponentId] = []
            for component_id, _, _ in everything:
                if (
                    dependency.binds(component_id) is not None
                    and component_id not in ids
                ):
                    ids.append(component_id)
            return [{"id": i, "property": dependency.prop} for i in ids]

        outputs = [output_of(dependency) for dependency in self.outputs]
        return {
            "output": self.key,
            "outputs": outputs if self.multi else outputs[0],
            "inputs": [value_of(dependency) for dependency in self.inputs],
            "state": [value_of(dependency) for dependency in self.state],
            "changedPropIds": [
                f"{id_json(i)}.{p}" for i, p, _ in ([changed] if changed else [])
            ],
        }


def request_by_key(
    callback: str,
    outputs: Sequence[tuple[ComponentId, str]],
    inputs: Sequence[Held],
    state: Sequence[Held] = (),
) -> dict[str, Any]:
    """The body for callback key `callback` (the old way: see `DashClient.call`)."""
    multi = callback.startswith("..")  # a multi-output key: `..out1...out2..`
    spec = [{"id": cid, "property": prop} for cid, prop in outputs]
    return {
        "output": callback,
        "outputs": spec if multi else spec[0],
        "inputs": [{"id": c, "property": p, "value": v} for c, p, v in inputs],
        "state": [{"id": c, "property": p, "value": v} for c, p, v in state],
        "changedPropIds": [f"{id_json(inputs[0][0])}.{inputs[0][1]}"],
    }
