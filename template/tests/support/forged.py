"""Values the browser can send in place of a component's `dcc.Store` data.

A store's data comes back from the browser with every callback that reads it, and
anyone can send anything: a callback that loads what a store names must answer each
of these with a message, never an exception.
"""

from __future__ import annotations

from typing import Any

#: A name for each value, for test ids: `pytest.mark.parametrize("store",
#: FORGED_STORES.values(), ids=FORGED_STORES)`.
FORGED_STORES: dict[str, Any] = {
    "none": None,
    "text": "x",
    "huge number": 1e308,
    "infinity": float("inf"),
    "empty list": [],
    "nested lists": [[[[[]]]]],
    "lone surrogate key": {"df": "\ud800"},
    "null key": {"df": None},
    "number key": {"df": 5},
    "list key": {"df": ["a"]},
    "unknown key": {"df": "2" * 64},
    "forged key": {"df": "f" * 64},
}
