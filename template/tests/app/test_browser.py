"""The app in headless Chromium (Debian's chromium + chromedriver): every registered
page opens with nothing logged to the console. Each sample page's journey is in its
tests/test_<page>_page.py (yours)."""

from __future__ import annotations

import dash
from dash.testing.wait import until
from support import SessionBrowser

NOT_FOUND = "404 - Page not found"  # what Dash Pages shows for an unknown path

# Client-side navigation, as a link click does, whatever the shell (layout.py, yours)
# holds: the router's location gets the path. Dash Pages' router answers by filling the
# page container and by replacing its store's data, whatever the page shows.
OPEN = """
const api = window.dash_component_api;
window.shownBefore = (api.getLayout("_pages_store").props || {}).data;
window.dash_clientside.set_props("_pages_location", {pathname: arguments[0]});
"""
ROUTED = """
const store = window.dash_component_api.getLayout("_pages_store");
const data = (store.props || {}).data;
return data !== undefined && data !== null && data !== window.shownBefore;
"""


def test_every_page_opens(app_browser: SessionBrowser) -> None:
    paths = [
        page["relative_path"]
        for page in dash.page_registry.values()
        if not page.get("path_template")  # a page with variables needs real values
    ]
    assert paths
    driver = app_browser.driver
    for path in paths:
        if driver.execute_script("return window.location.pathname") != path:
            driver.execute_script(OPEN, path)
        until(lambda: driver.execute_script(ROUTED), timeout=10)
        assert NOT_FOUND not in app_browser.find_element("#_pages_content").text, path
    assert app_browser.get_logs() == []
