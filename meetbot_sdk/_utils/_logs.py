"""The ``meetbot_sdk`` logger, and ``MEETBOT_LOG=debug|info`` to switch it on.

Every attempt is logged at DEBUG (method, path, status or error, milliseconds, attempt);
every retry and every rate-limit wait at INFO, with the reason and the seconds. Records carry
the request line only: never a header, so never the credential.
"""

from __future__ import annotations

import logging
import os
import sys
import warnings

__all__ = ["LOG_ENV", "logger", "setup_from_env"]

LOG_ENV = "MEETBOT_LOG"

logger = logging.getLogger("meetbot_sdk")

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO}
_FORMAT = "%(asctime)s %(name)s %(levelname)s %(message)s"


def setup_from_env() -> None:
    """Honour ``MEETBOT_LOG``: log to stderr at that level, unless the app set up handlers.

    An unknown value warns and leaves logging as it is.
    """
    value = os.environ.get(LOG_ENV, "").strip().lower()
    if not value:
        return
    level = _LEVELS.get(value)
    if level is None:
        warnings.warn(
            f"{LOG_ENV}={value!r} is not one of {', '.join(_LEVELS)}; SDK logging stays off",
            RuntimeWarning,
            stacklevel=2,
        )
        return
    logger.setLevel(level)
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(_FORMAT))
        logger.addHandler(handler)
