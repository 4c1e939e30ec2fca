"""Screenshot every page of a rendered project in headless Chromium (docs/*.png).

Run inside the rendered project's venv, from its folder:
    uv run python /path/to/tools/screenshots.py OUT_DIR
Uses Debian's /usr/bin/chromium and /usr/bin/chromedriver (no browser download).
"""

from __future__ import annotations

import importlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def browser() -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1200,900",
    ):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


# True while an AG Grid on the page still waits for its first block of rows.
GRID_LOADING = """
return Boolean(document.querySelector('.ag-root'))
    && !document.querySelector('.ag-center-cols-container .ag-row .ag-cell');
"""


def settle(driver: webdriver.Chrome, timeout: float = 10) -> None:
    """Wait (up to `timeout` s) for rows fetched by callbacks, e.g. a grid's blocks."""
    deadline = time.monotonic() + timeout
    while driver.execute_script(GRID_LOADING) and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(0.5)  # the graph that follows the grid draws after it


def main(out: Path) -> None:
    for binary in (CHROMIUM, CHROMEDRIVER):
        if not Path(binary).exists():
            sys.exit(f"{binary} is missing: apt-get install chromium chromium-driver")
    (package,) = (p.name for p in Path("src").iterdir() if (p / "__init__.py").exists())
    dash = importlib.import_module("dash")
    importlib.import_module(f"{package}.app")  # registers the pages
    pages = [
        (page["module"].rsplit(".", 1)[-1], page["path"])
        for page in dash.page_registry.values()
    ]
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", package],
        env={**os.environ, "PORT": str(port)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(url, timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        driver = browser()
        try:
            out.mkdir(parents=True, exist_ok=True)
            for name, path in pages:
                driver.get(url + path)
                time.sleep(2)  # let the renderer finish the page's callbacks
                settle(driver)
                target = out / f"page-{name}.png"
                driver.save_screenshot(str(target))
                print(f"wrote {target}")
        finally:
            driver.quit()
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main(Path(sys.argv[1]).resolve())
