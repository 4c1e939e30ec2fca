"""What tests of this app build on: fire callbacks, read layouts, drive a browser.

The API (import it from `support`):

- `DashClient(app)` (the `client` fixture): `client.fire(component_id, prop, value,
  given=[(other_id, prop, value), ...])` fires the callback the app registered for
  that input, as the browser does: inputs, states and outputs are taken from the
  registered callback (MATCH from the changed id, ALL from the components `given`),
  the others hold None. It returns a `Changed`: `{id as JSON: {prop: new value}}`,
  with `.value(id, prop)`, `.by_prop()` and `.status` (204: nothing changed).
  `output=(id, prop)` picks among callbacks sharing an input; `fire_initial(output)`
  is the page's first call; `client.page(path)` is the JSON of a page's layout;
  `request_for(...)` and `send(body)` make and send requests by hand (malformed
  ones). `RemoteDash(url)` does the same to a running server.
- `id_json(id)`: an id as Dash spells it in requests, responses and the DOM.
- `texts(layout)`, `text_of(layout)`, `props_of(layout_json, id)`: read a layout;
  `registered_page(name, path, layout)`: a test-only page while a block runs.
- `SessionBrowser` (the `dash_browser` and `app_browser` fixtures: dash_duo's API on
  one Chromium for the session); `element(browser, id)` and `text_in(browser, id)`
  find a component by its id, dict ids included.
- `free_port`, `running`, `redis_server`, `skip_or_fail`, `unreachable_redis`: real
  services started and stopped by tests.
- `FORGED_STORES`: values the browser can send in place of a store's data, which
  every callback reading a store must answer with a message.

Each component has a module of its own calls built on these: `support.datatable`,
`support.grid`, `support.upload`, `support.graph` (`serve`, `send`, `draw`, what the
browser shows...). `support/legacy/` keeps the helper modules of releases up to 0.7
importable for page tests written then (see its README); nothing else uses it.
"""

from .browser import SessionBrowser, element, text_in
from .callbacks import Changed, DashClient, RemoteDash, id_json
from .forged import FORGED_STORES
from .layout import props_of, registered_page, text_of, texts
from .services import (
    free_port,
    redis_server,
    running,
    skip_or_fail,
    unreachable_redis,
)

__all__ = [
    "FORGED_STORES",
    "Changed",
    "DashClient",
    "RemoteDash",
    "SessionBrowser",
    "element",
    "free_port",
    "id_json",
    "props_of",
    "redis_server",
    "registered_page",
    "running",
    "skip_or_fail",
    "text_in",
    "text_of",
    "texts",
    "unreachable_redis",
]
