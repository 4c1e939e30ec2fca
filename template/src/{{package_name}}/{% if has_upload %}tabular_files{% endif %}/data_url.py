"""The bytes of the data URL a `dcc.Upload` sends, its size checked before decoding."""

from __future__ import annotations

import binascii
from typing import Any

from .limits import FileLimits
from .wording import size


def decode_data_url(contents: Any, limits: FileLimits) -> bytes:
    """The bytes of a `data:[<type>];base64,<payload>` URL, size-checked first."""
    if not isinstance(contents, str) or not contents.startswith("data:"):
        raise limits.error("the upload is not a data URL (data:...;base64,...)")
    if contents == "data:":
        raise limits.error("the file is empty")  # what browsers send for 0 bytes
    comma = contents.find(",")
    if comma < 0 or not contents.endswith(";base64", 0, comma):
        raise limits.error("the upload is not a base64 data URL (data:...;base64,...)")
    # 4 base64 characters carry 3 bytes: refuse before decoding anything.
    nbytes = (len(contents) - comma - 1) // 4 * 3 - contents[-2:].count("=")
    if nbytes > limits.max_bytes:
        raise limits.error(
            f"the file is {size(nbytes)}, over the limit of {size(limits.max_bytes)}"
        )
    try:
        # Strict: only the base64 alphabet and padding at the end, as validate=True.
        data = binascii.a2b_base64(contents[comma + 1 :], strict_mode=True)
    except (binascii.Error, ValueError) as error:
        raise limits.error(f"the upload is not valid base64 ({error})") from None
    if not data:
        raise limits.error("the file is empty")
    return data
