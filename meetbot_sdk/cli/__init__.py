"""The ``meetbot`` command (the ``cli`` extra): analytics, key usage, log exports, a fake server.

``main()`` is the console script and what ``python -m meetbot_sdk`` runs. It imports the
extra's packages (click, rich) only when called, so ``import meetbot_sdk`` never does; when
they are missing it prints the install line and exits 2.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from meetbot_sdk._utils._extras import require

__all__ = ["main"]

USAGE_ERROR = 2


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command with ``argv`` (default: ``sys.argv[1:]``); return the exit status."""
    try:
        require("click", "cli", feature="The meetbot command")
        require("rich", "cli", feature="The meetbot command")
    except ImportError as missing:
        print(f"meetbot: {missing}", file=sys.stderr)
        return USAGE_ERROR
    # import time: `meetbot --help` loads the commands it shows
    from meetbot_sdk.cli._app import run

    return run(list(sys.argv[1:] if argv is None else argv))
