"""``meetbot fake-server``: a fake MeetBot account on 127.0.0.1, to try the SDK and the command."""

from __future__ import annotations

import sys

import click

from meetbot_sdk.testing._fake import DEFAULT_LOG_COUNT, DEFAULT_SEED

__all__ = ["command"]

EPILOG = """\b
Examples:
  meetbot fake-server                         # a free port, 2,000 logs
  meetbot fake-server --port 8080 --log-count 50000 --seed 7

\b
It prints the two lines that point a client at it; paste them into another
shell (PowerShell and cmd: the lines it prints on stderr), then run e.g.:
  export MEETBOT_BASE_URL=http://127.0.0.1:8080/v1
  export MEETBOT_API_KEY=mb_test_0000000000000000000000000000
  meetbot analytics
The fake's clock follows real time: its logs cover the 90 days up to now.
Ctrl-C stops it."""


@click.command("fake-server", epilog=EPILOG)
@click.option(
    "--port", type=click.IntRange(0, 65535), default=0, help="Port on 127.0.0.1 (0: any free)."
)
@click.option(
    "--log-count",
    type=click.IntRange(min=0),
    default=DEFAULT_LOG_COUNT,
    show_default=True,
    help="Request logs the account starts with.",
)
@click.option(
    "--seed", type=int, default=DEFAULT_SEED, show_default=True, help="Seeds the account."
)
def command(*, port: int, log_count: int, seed: int) -> None:
    """Serve a seeded fake MeetBot account on 127.0.0.1 until stopped."""
    # import time: the testing kit only for this command
    from meetbot_sdk.testing._serve import serve_fake

    click.echo("meetbot: serving a fake MeetBot account on 127.0.0.1; Ctrl-C stops it", err=True)
    serve_fake(sys.stdout, port=port, log_count=log_count, seed=seed, notes=sys.stderr)
