"""``python -m meetbot_sdk``: the ``meetbot`` command (needs the ``cli`` extra)."""

import sys

from meetbot_sdk.cli import main

if __name__ == "__main__":
    sys.exit(main())
