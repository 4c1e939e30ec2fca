"""One headless Chromium for the whole test session, with dash_duo's API, and
finding components in it by their Dash id.

Starting Chromium and its driver costs 1-2 s, and `dash_duo` pays it for every test.
Here the browser starts once (conftest's `chromium`), and each test gets a clean slate
on it (conftest's `dash_browser`): a server of its own, no cookies or storage, no
console entries left by the test before, and a download folder of its own. The servers
all listen on one port, so the browser's cache of Dash's scripts (the same files for
every app) stays warm from one test to the next.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from dash import Dash
from dash.testing.composite import DashComposite
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.support.wait import WebDriverWait
from werkzeug.serving import BaseWSGIServer, make_server

from .callbacks import ComponentId, id_json


class AppServer:
    """Serves a Dash app from threads of this process, as dash_duo's ThreadedRunner
    does, but stops it gracefully: no thread is killed in the middle of a request."""

    def __init__(self) -> None:
        self.port = 0  # chosen when it first starts, then kept
        self.url = ""
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    def __call__(self, app: Dash, port: int | None = None, **dev_tools: Any) -> None:
        """Serve `app` (what `start_server(app)` calls), on `port` if given.

        `dev_tools` are `Dash.run`'s `debug` and `dev_tools_*` options.
        """
        self.stop()
        if dev_tools:
            app.enable_dev_tools(**dev_tools)
        server = make_server("127.0.0.1", port or self.port, app.server, threaded=True)
        if port is None:
            self.port = server.port  # the next start takes it again
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            # How often it looks for `stop()`: the default 0.5 s would be each test's.
            kwargs={"poll_interval": 0.02},
            name="app-server",
            daemon=True,
        )
        self._thread.start()
        self.url = f"http://127.0.0.1:{server.port}"

    def stop(self) -> None:
        """Stop accepting requests; the ones being served finish on their own."""
        if self._server is None or self._thread is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
        self._server = self._thread = None


class SessionBrowser(DashComposite):
    """dash_duo's browser (`start_server`, `wait_for_*`, `find_element`, `get_logs`,
    `download_path`...), kept open between tests."""

    def __init__(self, downloads: Path, **options: Any) -> None:
        self._downloads = str(downloads)
        super().__init__(server=AppServer(), download_path=self._downloads, **options)

    @property
    def download_path(self) -> str:
        """Where the current test's downloads land."""
        return self._downloads

    def _wait_for(self, method: Any, timeout: float | None, msg: Any) -> Any:
        """What every `wait_for_*` calls: dash_duo's, but looking every 50 ms instead of
        Selenium's default 500 ms, which each wait would otherwise lose in part."""
        wait = WebDriverWait(
            self.driver, self.wait_timeout if timeout is None else timeout, 0.05
        )
        try:
            return wait.until(method)
        except TimeoutException as error:
            message = msg(self.driver) if callable(msg) else msg
            raise TimeoutException(str(message)) from error

    def begin(self, downloads: Path) -> None:
        """A clean slate for the next test, downloading into `downloads`."""
        self._downloads = str(downloads)
        self.driver.execute_cdp_cmd(
            "Browser.setDownloadBehavior",
            {"behavior": "allow", "downloadPath": self._downloads},
        )
        self.driver.execute_cdp_cmd("Network.clearBrowserCookies", {})
        if self.server.port:  # the origin of every test's server: its storage too
            self.driver.execute_cdp_cmd(
                "Storage.clearDataForOrigin",
                {
                    "origin": f"http://127.0.0.1:{self.server.port}",
                    "storageTypes": "all",
                },
            )
        self.driver.get_log("browser")  # read and dropped: the last test's entries

    def end(self) -> None:
        """Leave the page, then stop its server: no request from it comes after."""
        self.driver.get("about:blank")
        self.server.stop()


def element(browser: SessionBrowser, component_id: ComponentId) -> Any:
    """The element of a component id, dict ids included (no CSS selector can name
    them), or None."""
    return browser.driver.execute_script(
        "return document.getElementById(arguments[0]);", id_json(component_id)
    )


def text_in(browser: SessionBrowser, component_id: ComponentId) -> str:
    """The text a component shows ("" while it is not on the page)."""
    found = element(browser, component_id)
    return found.text if found is not None else ""
