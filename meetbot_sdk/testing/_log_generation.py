"""Seeded, realistic request logs, drawn in bulk.

Speed matters here (benchmarks walk 200,000 logs), so every field is drawn for all logs at
once with ``Random.choices`` and the wire dicts are built in a single pass.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from meetbot_sdk.testing._timestamps import (
    MICROS_PER_SECOND,
    STYLE_COUNT,
    STYLE_RESOLUTION_MICROS,
    spell_instants,
)

if TYPE_CHECKING:
    import random

    from meetbot_sdk.testing._account import Account

# (method, path template, weight); {bot} and {transcript} stand for ids from the account.
_ENDPOINTS = (
    ("GET", "/api/v1/bots", 14),
    ("POST", "/api/v1/bots", 10),
    ("GET", "/api/v1/bots/{bot}", 22),
    ("PATCH", "/api/v1/bots/{bot}", 3),
    ("DELETE", "/api/v1/bots/{bot}", 4),
    ("GET", "/api/v1/bots/{bot}/recording", 12),
    ("GET", "/api/v1/transcripts/{transcript}", 12),
    ("GET", "/api/v1/webhooks", 5),
    ("POST", "/api/v1/webhooks", 2),
    ("GET", "/api/v1/users/me", 10),
    ("PATCH", "/api/v1/users/me", 1),
)
_SUCCESS_STATUS = {"GET": 200, "POST": 201, "PATCH": 200, "DELETE": 204}
# 0 stands for "succeeded": the status then follows from the method.
_OUTCOMES = (0, 400, 401, 404, 422, 429, 500, 503)
_OUTCOME_WEIGHTS = (900, 20, 10, 30, 20, 10, 6, 4)
_KEY_WEIGHTS = (48, 22, 12, 8)
_ACCESS_TOKEN_WEIGHT = 10  # about 10% of logs carry no API key
_USER_AGENTS = (
    "meetbot-sdk-python/0.1.0",
    "python-httpx/0.28.1",
    "curl/8.4.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.2 Safari/605.1.15",
    None,
)
_USER_AGENT_WEIGHTS = (40, 20, 15, 15, 10)
_STYLE_WEIGHTS = (80, 8, 7, 5)  # SECONDS_Z, MICROS_Z, MILLIS_Z, SECONDS_OFFSET
_SLOW_FACTORS = (1, 12)
_SLOW_WEIGHTS = (96, 4)
# Latencies are drawn from a pool; it holds nearly every integer the distribution yields.
_LATENCY_POOL_SIZE = 1_024


class LogFactory:
    """Draws wire logs for one account from the fake's random stream.

    Fields that are drawn independently of each other are still drawn together, from
    precomputed pools of combinations (request and status; key, address and user agent),
    because each ``Random.choices`` pass over 200,000 logs costs as much as the next.
    """

    def __init__(self, rng: random.Random, account: Account) -> None:
        """Prepare the pools the logs are drawn from.

        Args:
            rng: The fake's random stream; every draw advances it.
            account: Supplies the API keys and the bot and transcript ids in log paths.
        """
        self._rng = rng
        self._requests, self._request_weights = _request_pool(account)
        self._clients, self._client_weights = _client_pool(account, _draw_addresses(rng))
        self._latencies = [
            int(rng.lognormvariate(4.1, 0.5) * factor) + 3
            for factor in rng.choices(_SLOW_FACTORS, weights=_SLOW_WEIGHTS, k=_LATENCY_POOL_SIZE)
        ]

    def draw_history(
        self, count: int, start: int, end: int
    ) -> tuple[list[dict[str, Any]], list[int]]:
        """Draw ``count`` logs spread over ``[start, end)``, oldest first.

        Args:
            count: How many logs.
            start: The earliest instant, in microseconds since the epoch.
            end: The instant all logs precede.

        Returns:
            The wire dicts and their instants, oldest first; ids run from 1 upwards.
        """
        rng = self._rng
        span = end - start
        styles = rng.choices(range(STYLE_COUNT), weights=_STYLE_WEIGHTS, k=count)
        raw = [start + int(rng.random() * span) for _ in range(count)]
        # Truncate each instant to what its spelling shows, then sort (instant, style) pairs
        # packed into single ints: sorting ints is several times faster than sorting tuples.
        resolution = STYLE_RESOLUTION_MICROS
        packed = sorted(
            (micros - micros % resolution[style]) * STYLE_COUNT + style
            for micros, style in zip(raw, styles, strict=True)
        )
        instants = [value // STYLE_COUNT for value in packed]
        styles = [value % STYLE_COUNT for value in packed]
        return self._rows(instants, styles, first_id=1), instants

    def draw_arrivals(
        self, count: int, after: int, first_id: int
    ) -> tuple[list[dict[str, Any]], list[int]]:
        """Draw ``count`` logs that arrive after every existing one, one second apart.

        Args:
            count: How many logs.
            after: The instant of the newest existing log.
            first_id: The id of the oldest new log; the others count up from it.

        Returns:
            The wire dicts and their instants, oldest first.
        """
        base = after - after % MICROS_PER_SECOND
        instants = [base + step * MICROS_PER_SECOND for step in range(1, count + 1)]
        styles = self._rng.choices(range(STYLE_COUNT), weights=_STYLE_WEIGHTS, k=count)
        return self._rows(instants, styles, first_id=first_id), instants

    def _rows(
        self, instants: list[int], styles: list[int], *, first_id: int
    ) -> list[dict[str, Any]]:
        rng = self._rng
        count = len(instants)
        return [
            {
                "id": log_id,
                "method": method,
                "path": path,
                "statusCode": status,
                "responseTimeMs": latency,
                "apiKeyId": key_id,
                "apiKeyName": key_name,
                "ipAddress": address,
                "userAgent": agent,
                "createdAt": created_at,
            }
            for log_id, (method, path, status), (
                key_id,
                key_name,
                address,
                agent,
            ), latency, created_at in zip(
                range(first_id, first_id + count),
                rng.choices(self._requests, weights=self._request_weights, k=count),
                rng.choices(self._clients, weights=self._client_weights, k=count),
                rng.choices(self._latencies, k=count),
                spell_instants(instants, styles),
                strict=True,
            )
        ]


_Request = tuple[str, str, int]  # method, path, status
_Client = tuple[int | None, str | None, str | None, str | None]  # key id and name, address, agent


def _request_pool(account: Account) -> tuple[list[_Request], list[float]]:
    """Every (method, path, status) a log can show, with its weight."""
    bot_ids = [bot.id for bot in account.bots]
    transcript_ids = [bot.transcript_id for bot in account.bots if bot.transcript_id]
    requests: list[_Request] = []
    weights: list[float] = []
    for method, template, weight in _ENDPOINTS:
        ids = transcript_ids if "{transcript}" in template else bot_ids
        paths = (
            [template.format(bot=i, transcript=i) for i in ids] if "{" in template else []
        ) or [template]
        for outcome, outcome_weight in zip(_OUTCOMES, _OUTCOME_WEIGHTS, strict=True):
            status = outcome or _SUCCESS_STATUS[method]
            requests.extend((method, path, status) for path in paths)
            weights.extend([weight * outcome_weight / len(paths)] * len(paths))
    return requests, weights


def _client_pool(
    account: Account, addresses: list[str | None]
) -> tuple[list[_Client], list[float]]:
    """Every (key id, key name, address, user agent) a log can show, with its weight."""
    keys: list[tuple[int | None, str | None]] = [(key.id, key.name) for key in account.api_keys]
    keys.append((None, None))
    key_weights = [*_KEY_WEIGHTS[: len(account.api_keys)], _ACCESS_TOKEN_WEIGHT]
    clients: list[_Client] = []
    weights: list[float] = []
    for (key_id, key_name), key_weight in zip(keys, key_weights, strict=True):
        for agent, agent_weight in zip(_USER_AGENTS, _USER_AGENT_WEIGHTS, strict=True):
            clients.extend((key_id, key_name, address, agent) for address in addresses)
            weights.extend([key_weight * agent_weight] * len(addresses))
    return clients, weights


def _draw_addresses(rng: random.Random) -> list[str | None]:
    """Client addresses from the documentation ranges (RFC 5737), one in twenty unknown."""
    hosts = rng.sample(range(1, 255), k=38)
    addresses: list[str | None] = [f"203.0.113.{host}" for host in hosts[:22]]
    addresses += [f"198.51.100.{host}" for host in hosts[22:]]
    addresses += [None, None]
    return addresses
