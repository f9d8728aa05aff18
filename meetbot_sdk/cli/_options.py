"""What every command shares: the global settings and the --format option."""

from __future__ import annotations

import functools
import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import attrs
import click

from meetbot_sdk import MeetBot, MeetBotError
from meetbot_sdk._constants import API_KEY_ENV, BASE_URL_ENV, DEFAULT_BASE_URL
from meetbot_sdk._exceptions import Secret, redact
from meetbot_sdk._utils._logs import logger
from meetbot_sdk.cli._output import FORMATS, Format, Stdout

__all__ = [
    "Settings",
    "format_option",
    "global_options",
    "pass_settings",
    "resolve_format",
    "stop_verbose_logging",
]

_F = TypeVar("_F", bound=Callable[..., Any])


@attrs.frozen
class Settings:
    """The global options, from which each command makes its client."""

    api_key: str | None = attrs.field(default=None, repr=False)
    base_url: str | None = None
    timeout: float | None = None
    max_retries: int | None = None
    no_color: bool = False

    @property
    def color(self) -> bool:
        """Whether tables and bars may use colour (``--no-color`` says not; so does
        ``NO_COLOR``, which rich reads itself)."""
        return not self.no_color

    @contextmanager
    def client(self) -> Iterator[MeetBot]:
        """A client with these settings, closed after the command.

        Raises:
            click.UsageError: No API key anywhere, or a base URL the client refuses.
        """
        options: dict[str, Any] = {"base_url": self.base_url}
        if self.timeout is not None:
            options["timeout"] = self.timeout
        if self.max_retries is not None:
            options["max_retries"] = self.max_retries
        try:
            client = MeetBot(self.api_key, **options)
        except MeetBotError:  # no key at all
            raise click.UsageError(f"no API key: pass --api-key or set {API_KEY_ENV}") from None
        except ValueError as refused:  # a malformed key, plain http:// to another host...
            raise self._bad_parameter(refused) from None
        with client:
            yield client

    def _bad_parameter(self, refused: ValueError) -> click.BadParameter:
        """The client's refusal, attributed to the option at fault, with no key in it (one
        pasted into --base-url included)."""
        message = str(refused)
        hint = "--api-key" if message.startswith(("api_key", API_KEY_ENV)) else "--base-url"
        secret = Secret(self.api_key or os.environ.get(API_KEY_ENV, ""))
        return click.BadParameter(redact(message, secret), param_hint=hint)


_SETTINGS = "meetbot_sdk.cli.settings"


def _remember(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """Keep a global option given before or after the command's name (the later wins)."""
    if param.name == "verbose":
        if value:
            _log_to_stderr(logging.DEBUG if value > 1 else logging.INFO)
        return value
    if value is not None and value != "" and value is not False:  # False: a flag not given
        given = ctx.find_root().meta.setdefault(_SETTINGS, {})
        given[param.name] = value
    return value


_verbose_handlers: list[tuple[logging.Handler, int]] = []


def _log_to_stderr(level: int) -> None:
    if _verbose_handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    _verbose_handlers.append((handler, logger.level))
    logger.addHandler(handler)
    logger.setLevel(level)


def stop_verbose_logging() -> None:
    """Undo ``--verbose`` once the run ends (``main()`` may run again in one process)."""
    while _verbose_handlers:
        handler, level = _verbose_handlers.pop()
        logger.removeHandler(handler)
        logger.setLevel(level)


def global_options(*, from_environment: bool) -> Callable[[_F], _F]:
    """``--api-key``, ``--base-url``, ``--timeout``, ``--max-retries``, ``--no-color`` and
    ``--verbose``.

    Args:
        from_environment: Read ``MEETBOT_API_KEY``/``MEETBOT_BASE_URL`` (the group only, so
            that a flag before the command's name is not overridden by the environment).
            Every command's help names the variables all the same.
    """
    common: dict[str, Any] = {"expose_value": False, "callback": _remember}
    options = [
        click.option(
            "--api-key",
            envvar=API_KEY_ENV if from_environment else None,
            metavar="KEY",
            help=f"The API key (or access token). Never printed.  [env var: {API_KEY_ENV}]",
            **common,
        ),
        click.option(
            "--base-url",
            envvar=BASE_URL_ENV if from_environment else None,
            metavar="URL",
            help=f"The API's base URL  [env var: {BASE_URL_ENV}; default: {DEFAULT_BASE_URL}]",
            **common,
        ),
        click.option(
            "--timeout",
            type=click.FloatRange(min=0, min_open=True),
            metavar="SECONDS",
            help="Seconds to wait per request.",
            **common,
        ),
        click.option(
            "--max-retries",
            type=click.IntRange(min=0),
            metavar="N",
            help="Retries per request.",
            **common,
        ),
        click.option(
            "--no-color",
            is_flag=True,
            default=False,
            help="No colour in tables and progress bars (NO_COLOR=1 does the same).",
            **common,
        ),
        click.option(
            "-v",
            "--verbose",
            count=True,
            help="Log the SDK's retries and waits to stderr (-vv: every request).",
            **common,
        ),
    ]

    def decorate(command: _F) -> _F:
        for option in reversed(options):
            command = option(command)
        return command

    return decorate


def pass_settings(command: Callable[..., None]) -> Callable[..., None]:
    """Call ``command(settings, **params)`` with the global options given anywhere."""

    @click.pass_context
    @functools.wraps(command)
    def with_settings(ctx: click.Context, /, **params: Any) -> None:
        given = ctx.find_root().meta.get(_SETTINGS, {})
        command(Settings(**given), **params)

    return global_options(from_environment=False)(with_settings)


def format_option(piped: Format, *, choices: tuple[Format, ...] = FORMATS) -> Callable[[_F], _F]:
    """``--format``: a table on a terminal, ``piped`` otherwise, unless chosen."""
    return click.option(
        "-f",
        "--format",
        "format_",
        type=click.Choice(choices),
        default=None,
        help=f"Output format  [default: table on a terminal, else {piped}]",
    )


def resolve_format(chosen: str | None, piped: Format) -> Format:
    """The format to write: the one chosen, else by whether stdout is a terminal."""
    if chosen is not None:
        return chosen  # type: ignore[return-value]  # click.Choice(FORMATS) checked it
    return "table" if Stdout.is_terminal() else piped
