"""The app shell around every page: header, navigation, page container.

User-owned: change it freely, `copier update` does not touch it.
"""

from __future__ import annotations

import dash
from dash import dcc, html

from . import TITLE


def navigation() -> html.Nav:
    """One link per registered page, in registration order (home first)."""
    return html.Nav(
        [
            dcc.Link(page["name"], href=page["relative_path"], className="nav-link")
            for page in dash.page_registry.values()
        ],
        className="nav",
    )


def app_shell() -> html.Div:
    """Layout of the whole app, built per request so it lists every page."""
    return html.Div(
        [
            html.Header(
                [html.H1(TITLE, className="brand"), navigation()],
                className="header",
            ),
            html.Main(dash.page_container, className="page"),
        ],
        className="shell",
    )
