"""`services` as tests written for releases up to 0.7 import it.

Legacy: remove it once no test of yours imports `services` (use `support`).
"""

from support.services import (
    free_port,
    redis_server,
    running,
    skip_or_fail,
    unreachable_redis,
)

__all__ = ["free_port", "redis_server", "running", "skip_or_fail", "unreachable_redis"]
