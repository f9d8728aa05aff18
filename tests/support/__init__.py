"""Helpers shared by the test modules (fixtures live in conftest.py)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import importlib
import inspect
import os
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

from meetbot_sdk import AsyncMeetBot, MeetBot
from meetbot_sdk.testing import instant_waits

API_KEY = "mb_test_0123456789abcdef"
BASE = "https://api.meetbot.dev/v1"
# A small valid body of GET /api-keys/{id}/usage.
USAGE = {
    "requestsToday": 15,
    "requestsThisMonth": 450,
    "requestsTotal": 2500,
    "recentRequests": [
        {"method": "GET", "path": "/api/v1/bots", "statusCode": 200, "createdAt": "2024-01-15Z"}
    ],
}


FIXED_NOW = datetime.datetime(2026, 1, 15, 12, 0, tzinfo=datetime.timezone.utc)
"""The ``now`` of fakes whose tests name dates: the fake's clock follows real time otherwise."""

BARE_RUN = os.environ.get("MEETBOT_TEST_BARE") == "1"
"""True in `make test-bare`: the suite run in a venv without any optional extra."""


def needs_extra(module: str) -> ModuleType:
    """Import an optional extra a test needs.

    In the normal run every extra is installed, and a missing one fails the test (never a
    silent skip). In the bare run (``MEETBOT_TEST_BARE=1``) the test is skipped, visibly, and
    the bare run's own tests check the ImportError users get instead.
    """
    if BARE_RUN:
        pytest.skip(f"bare run: the extra providing {module!r} is not installed")
    return importlib.import_module(module)


class Twin:
    """Runs ``fn(client)`` with a fresh ``MeetBot`` or ``AsyncMeetBot``; awaits when needed."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.client_class: type[MeetBot] | type[AsyncMeetBot] = (
            MeetBot if kind == "sync" else AsyncMeetBot
        )

    def run(
        self, fn: Callable[[Any], Any], *, sleeps: list[float] | None = None, **client_kwargs: Any
    ) -> Any:
        """Run ``fn(client)``; with ``sleeps``, waits are instant and recorded there instead."""
        client_kwargs.setdefault("api_key", API_KEY)
        with contextlib.ExitStack() as stack:
            if sleeps is not None:
                recorded = stack.enter_context(instant_waits())
                stack.callback(sleeps.extend, recorded)
            if self.kind == "sync":
                with MeetBot(**client_kwargs) as client:
                    return fn(client)

            async def main() -> Any:
                async with AsyncMeetBot(**client_kwargs) as client:
                    result = fn(client)
                    return await result if inspect.isawaitable(result) else result

            return asyncio.run(main())

    def __repr__(self) -> str:
        return self.kind
