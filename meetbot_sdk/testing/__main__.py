"""``python -m meetbot_sdk.testing [--port N]``: serve the fake MeetBot on 127.0.0.1.

It prints ``export MEETBOT_BASE_URL=...`` and ``export MEETBOT_API_KEY=...`` on stdout, the
environment that points the SDK's clients, ``curl`` or any other client at it (the same for
PowerShell and cmd on stderr), and serves until Ctrl-C. Needs no extra: the
``meetbot fake-server`` command (``cli`` extra) does the same.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from meetbot_sdk.testing._fake import DEFAULT_LOG_COUNT, DEFAULT_SEED
from meetbot_sdk.testing._serve import serve_fake

__all__ = ["main"]


_EPILOG = """\
example:
  $ python -m meetbot_sdk.testing --port 8080
  export MEETBOT_BASE_URL=http://127.0.0.1:8080/v1
  export MEETBOT_API_KEY=mb_test_0000000000000000000000000000

  then paste those two lines into another shell (PowerShell and cmd: the lines
  printed on stderr) and run any client there:
  $ python -c "import meetbot_sdk; print(meetbot_sdk.MeetBot().analytics.get())"
  $ curl -H "Authorization: Bearer $MEETBOT_API_KEY" "$MEETBOT_BASE_URL/users/me/analytics"

The fake's clock follows real time: its logs cover the 90 days up to now.
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m meetbot_sdk.testing",
        description="Serve a seeded fake MeetBot account on 127.0.0.1 until Ctrl-C, and print\n"
        "the export lines (MEETBOT_BASE_URL, MEETBOT_API_KEY) that point a client at it.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: any free)")
    parser.add_argument(
        "--log-count", type=int, default=DEFAULT_LOG_COUNT, help="request logs the account has"
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seeds the account")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Serve until interrupted; return the exit status (0, or 2 for bad arguments)."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535:
        parser.error(f"--port must be between 0 and 65535, got {args.port}")
    if args.log_count < 0:
        parser.error(f"--log-count must be >= 0, got {args.log_count}")
    print("serving a fake MeetBot account on 127.0.0.1; Ctrl-C stops it", file=sys.stderr)
    try:
        serve_fake(
            sys.stdout, port=args.port, log_count=args.log_count, seed=args.seed, notes=sys.stderr
        )
    except KeyboardInterrupt:
        return 0
    except OSError as exc:
        print(f"cannot serve on port {args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    return 0  # pragma: no cover (serving ends only by an interrupt)


if __name__ == "__main__":
    sys.exit(main())
