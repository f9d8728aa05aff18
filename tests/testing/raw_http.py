"""Talking to the fake over raw httpx, as any client of the wire format would."""

from __future__ import annotations

import ipaddress
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx

from meetbot_sdk.testing import FakeMeetBot

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=timezone.utc)
LOG_FIELDS = {
    "id",
    "method",
    "path",
    "statusCode",
    "responseTimeMs",
    "apiKeyId",
    "apiKeyName",
    "ipAddress",
    "userAgent",
    "createdAt",
}
DOCUMENTATION_NETWORKS = (
    ipaddress.ip_network("203.0.113.0/24"),
    ipaddress.ip_network("198.51.100.0/24"),
)


def raw_client(fake: FakeMeetBot, *, base_url: str | None = None) -> httpx.Client:
    return httpx.Client(
        base_url=base_url or fake.base_url,
        transport=None if base_url else fake.transport(),
        headers={"Authorization": f"Bearer {fake.api_key}"},
    )


def instant(created_at: str) -> datetime:
    moment = datetime.fromisoformat(created_at.replace("Z", "+00:00"))
    assert moment.utcoffset() == timedelta(0)
    return moment


def walk(client: httpx.Client, **params: Any) -> list[dict[str, Any]]:
    logs: list[dict[str, Any]] = []
    page = 1
    while True:
        body = client.get("/users/me/api-logs", params={**params, "page": page}).json()
        if not body["logs"]:
            assert len(logs) == body["total"]
            return logs
        logs.extend(body["logs"])
        page += 1


def async_raw_client(fake: FakeMeetBot, *, base_url: str | None = None) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=base_url or fake.base_url,
        transport=None if base_url else fake.transport(),
        headers={"Authorization": f"Bearer {fake.api_key}"},
    )
