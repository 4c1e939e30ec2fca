"""`chromium` as page tests written for releases 0.6 and 0.7 import it.

Legacy: remove it once no test of yours imports `chromium` (use `support`).
"""

from support.browser import AppServer, SessionBrowser

__all__ = ["AppServer", "SessionBrowser"]
