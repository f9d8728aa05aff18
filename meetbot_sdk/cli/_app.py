"""The ``meetbot`` group: global options, the client they make, and how a run ends.

Exit statuses: 0 done, 1 the API or the network failed (or a file could not be written),
2 bad usage (unknown option, bad value, missing API key), 130 interrupted (Ctrl-C), 141 the
reader of the output went away (``| head``), as for any Unix tool killed by SIGPIPE. Errors
are one line on stderr, never a traceback, and never hold the API key; what the server said
in them is shown literally (:func:`~meetbot_sdk.cli._literal.visible`), and the SDK's
argument checks name the command's flags (``--start-date``), not its parameters.
"""

from __future__ import annotations

import re

import click

from meetbot_sdk import (
    APIConnectionError,
    AuthenticationError,
    MeetBotError,
    PermissionDeniedError,
    __version__,
)
from meetbot_sdk._constants import API_KEY_ENV
from meetbot_sdk.cli._export import ExportStopped
from meetbot_sdk.cli._interrupts import Interrupts
from meetbot_sdk.cli._literal import visible
from meetbot_sdk.cli._options import global_options, stop_verbose_logging
from meetbot_sdk.cli._output import PipeClosedError

__all__ = ["cli", "run"]

API_ERROR, USAGE_ERROR, INTERRUPTED, PIPE_CLOSED = 1, 2, 130, 141


EPILOG = """\b
Examples:
  meetbot analytics --period 7d
  meetbot key-usage 3 --format json
  meetbot logs --status-code 500 --start-date 2026-01-01 --format csv > errors.csv
  meetbot logs --format jsonl --output logs.jsonl --checkpoint logs.state
  meetbot fake-server --port 8080

The API key comes from --api-key or MEETBOT_API_KEY; the base URL from --base-url or
MEETBOT_BASE_URL. Exit status: 0 done, 1 API or network error, 2 bad usage, 130
interrupted, 141 the reader went away (| head)."""


@click.group(epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
@global_options(from_environment=True)
@click.version_option(__version__, prog_name="meetbot", message="%(prog)s %(version)s")
def cli() -> None:
    """Usage, request logs and key usage of a MeetBot account, from the terminal.

    The options below may also follow the command's name (meetbot logs --api-key ...).
    """


def _register() -> None:
    from meetbot_sdk.cli import (  # import time: the commands load when the app is built
        _analytics,
        _fake_server,
        _key_usage,
        _load,
        _logs,
    )

    for module in (_analytics, _key_usage, _logs, _load, _fake_server):
        cli.add_command(module.command)


_register()


def run(argv: list[str]) -> int:  # noqa: PLR0911 (one status per way a run ends)
    """Run ``meetbot`` with ``argv``; return the exit status, reporting errors on one line."""
    interrupts = Interrupts.install()
    try:
        status = cli.main(args=argv, prog_name="meetbot", standalone_mode=False)
    except click.exceptions.Abort:  # click's KeyboardInterrupt
        click.echo("meetbot: interrupted", err=True)
        return INTERRUPTED
    except click.ClickException as usage:
        # A message may quote a file or a refusal of the SDK; show() prints this attribute.
        usage.message = visible(usage.message)  # type: ignore[misc]  # Final to click's types
        usage.show()
        return usage.exit_code
    except PipeClosedError:
        return PIPE_CLOSED
    except (MeetBotError, OSError) as failed:  # OSError: a file to write, a port to listen on
        _say_failed(failed)
        return API_ERROR
    except ExportStopped as stopped:
        _say_failed(stopped.failed)
        click.echo(f"meetbot: {stopped.resume}", err=True)
        return API_ERROR
    except (ValueError, TypeError) as bad:  # the SDK's argument checks, before any request
        click.echo(f"meetbot: error: {_as_flags(_one_line(bad))}", err=True)
        return USAGE_ERROR
    finally:
        interrupts.uninstall()
        stop_verbose_logging()
    return status if isinstance(status, int) else 0


def _say_failed(failed: MeetBotError | OSError) -> None:
    hint = _hint(failed) if isinstance(failed, MeetBotError) else ""
    click.echo(f"meetbot: error: {_one_line(failed)}{hint}", err=True)


def _one_line(error: BaseException) -> str:
    return visible(" ".join(str(error).split()) or type(error).__name__)


# The SDK's parameters, as the commands spell them.
_FLAGS = {
    "api_key": "--api-key",
    "api_key_id": "--api-key-id",
    "base_url": "--base-url",
    "concurrency": "--concurrency",
    "end_date": "--end-date",
    "key_id": "KEY_ID",
    "max_items": "--limit",
    "max_retries": "--max-retries",
    "method": "--method",
    "page_size": "--page-size",
    "path": "--path",
    "period": "--period",
    "resume_from": "--checkpoint",
    "start_date": "--start-date",
    "status_code": "--status-code",
    "timeout": "--timeout",
}
# A parameter named as the subject of a check: first in the message, or before "must",
# "is" or its value in parentheses ("method must be an HTTP method name": the first only).
_PARAMETER = re.compile(
    r"(?:^|(?<=after )|(?<=before ))(" + "|".join(sorted(_FLAGS, key=len, reverse=True)) + r")"
    r"\b(?= must\b| is\b| \(|$|:)"
)


def _as_flags(message: str) -> str:
    """An argument check's message with the SDK's parameter names as the command's flags."""
    return _PARAMETER.sub(lambda match: _FLAGS[match.group(1)], message)


def _hint(error: MeetBotError) -> str:
    if isinstance(error, AuthenticationError):
        return f" (check --api-key or {API_KEY_ENV})"
    if isinstance(error, PermissionDeniedError):
        return " (the key lacks the permission for this)"
    if isinstance(error, APIConnectionError):
        return " (check --base-url and the network; --timeout and --max-retries allow more)"
    return ""
