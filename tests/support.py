"""Helpers shared by the test modules (fixtures live in conftest.py)."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import Any

from meetbot_sdk import AsyncMeetBot, MeetBot

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
        """Run ``fn(client)``; with ``sleeps``, the client records its waits there instead."""
        client_kwargs.setdefault("api_key", API_KEY)
        if self.kind == "sync":
            with MeetBot(**client_kwargs) as client:
                if sleeps is not None:
                    client._sleep = sleeps.append
                return fn(client)

        async def record(seconds: float) -> None:
            assert sleeps is not None
            sleeps.append(seconds)

        async def main() -> Any:
            async with AsyncMeetBot(**client_kwargs) as client:
                if sleeps is not None:
                    client._sleep = record
                result = fn(client)
                return await result if inspect.isawaitable(result) else result

        return asyncio.run(main())

    def __repr__(self) -> str:
        return self.kind
