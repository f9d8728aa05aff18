"""``python -m meetbot_sdk.testing [--port N]``: serve the fake MeetBot on 127.0.0.1.

It prints ``MEETBOT_BASE_URL=...`` and ``MEETBOT_API_KEY=...`` on stdout, the environment
that points the SDK's clients, the examples, ``curl`` or any other client at it, and serves
until Ctrl-C. Needs no extra: the ``meetbot fake-server`` command (``cli`` extra) does the same.
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
  MEETBOT_BASE_URL=http://127.0.0.1:8080/v1
  MEETBOT_API_KEY=mb_test_0000000000000000000000000000

  then, in another shell, with those two variables exported:
  $ python examples/demo.py --real
  $ curl -H "Authorization: Bearer $MEETBOT_API_KEY" "$MEETBOT_BASE_URL/users/me/analytics"
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m meetbot_sdk.testing",
        description="Serve a seeded fake MeetBot account on 127.0.0.1 until Ctrl-C, and print\n"
        "the MEETBOT_BASE_URL and MEETBOT_API_KEY lines that point a client at it.",
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
        serve_fake(sys.stdout, port=args.port, log_count=args.log_count, seed=args.seed)
    except KeyboardInterrupt:
        return 0
    except OSError as exc:
        print(f"cannot serve on port {args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    return 0  # pragma: no cover (serving ends only by an interrupt)


if __name__ == "__main__":
    sys.exit(main())
