"""`dash_client` as page tests written for releases up to 0.7 import it.

Legacy: remove it once no test of yours imports `dash_client` (use `support`).
"""

from support.callbacks import DashClient, RemoteDash
from support.callbacks import request_by_key as callback_payload
from support.layout import props_of, registered_page, texts

__all__ = [
    "DashClient",
    "RemoteDash",
    "callback_payload",
    "props_of",
    "registered_page",
    "texts",
]
