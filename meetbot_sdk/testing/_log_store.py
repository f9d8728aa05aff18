"""Append-only storage of the account's request logs, and the queries the routes run on it.

Logs are kept oldest first, so new logs are appended and a position never changes; the
API's newest-first order is the reverse. Instants are kept sorted alongside (globally and
per API key), so date ranges and day counts are bisections rather than scans.
"""

from __future__ import annotations

import json
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Sequence
from typing import Any, overload

import attrs

_WireLog = dict[str, Any]


@attrs.frozen
class LogFilters:
    """The api-logs query filters; ``None`` means "not filtered on".

    ``method`` is upper case; ``start``/``end`` are inclusive bounds in microseconds.
    """

    method: str | None = None
    status_code: int | None = None
    path: str | None = None
    api_key_id: int | None = None
    start: int | None = None
    end: int | None = None


class LogStore:
    """The logs of one account, with indexes for the api-logs and key-usage endpoints."""

    def __init__(self) -> None:
        """Create an empty store."""
        self._logs: list[_WireLog] = []
        self._instants: list[int] = []
        self._fragments: list[bytes | None] = []
        # Per-key positions and instants, built on the first query by key: walks over all
        # logs never need them, and skipping them keeps a 200,000-log fake quick to make.
        self._positions_by_key: dict[int | None, list[int]] | None = None
        self._instants_by_key: dict[int | None, list[int]] = {}

    def __len__(self) -> int:
        """Return how many logs the store holds."""
        return len(self._logs)

    @property
    def newest_instant(self) -> int | None:
        """The instant of the newest log, or ``None`` when there are none."""
        return self._instants[-1] if self._instants else None

    def extend(self, logs: Sequence[_WireLog], instants: Sequence[int]) -> None:
        """Append logs that are all at least as new as the newest stored one.

        Args:
            logs: Wire dicts, oldest first, with ids above every stored id.
            instants: Each log's ``createdAt`` in microseconds since the epoch.
        """
        first = len(self._logs)
        self._logs.extend(logs)
        self._instants.extend(instants)
        self._fragments.extend([None] * len(logs))
        if self._positions_by_key is not None:
            self._index_keys(first)

    def count_between(self, start: int, end: int, *, api_key_id: int | None = None) -> int:
        """Count logs in the half-open instant range ``[start, end)``.

        Args:
            start: First instant counted, in microseconds since the epoch.
            end: First instant no longer counted.
            api_key_id: Count only the logs made with this key.
        """
        instants = self._instants if api_key_id is None else self._positions_of(api_key_id)[1]
        return bisect_left(instants, end) - bisect_left(instants, start)

    def count_for_key(self, api_key_id: int) -> int:
        """Count every log made with an API key."""
        return len(self._positions_of(api_key_id)[0])

    def newest_for_key(self, api_key_id: int, limit: int) -> list[_WireLog]:
        """Return the newest ``limit`` logs made with an API key, newest first."""
        positions = self._positions_of(api_key_id)[0]
        return [self._logs[position] for position in reversed(positions[-limit:])]

    def select(self, filters: LogFilters) -> Sequence[int]:
        """Return the positions of the logs that pass the filters, newest first.

        Without filters this is a ``range`` built in constant time, so paging through an
        unfiltered account never scans it.
        """
        positions: Sequence[int]
        if filters.api_key_id is None:
            positions, instants = range(len(self._logs)), self._instants
        else:
            positions, instants = self._positions_of(filters.api_key_id)
        low = 0 if filters.start is None else bisect_left(instants, filters.start)
        high = len(instants) if filters.end is None else bisect_right(instants, filters.end)
        selected = positions[low:high][::-1]
        logs = self._logs
        if filters.method is not None:
            method = filters.method
            selected = [p for p in selected if logs[p]["method"] == method]
        if filters.status_code is not None:
            status_code = filters.status_code
            selected = [p for p in selected if logs[p]["statusCode"] == status_code]
        if filters.path is not None:
            path = filters.path
            selected = [p for p in selected if path in logs[p]["path"]]
        return selected

    def encoded(self, positions: Sequence[int]) -> list[bytes]:
        """Return the JSON encoding of each log, encoding each log once and caching it."""
        fragments = self._fragments
        logs = self._logs
        encoded: list[bytes] = []
        for position in positions:
            fragment = fragments[position]
            if fragment is None:
                fragment = json.dumps(logs[position], separators=(",", ":")).encode()
                fragments[position] = fragment
            encoded.append(fragment)
        return encoded

    def snapshot(self) -> LogsView:
        """Return a read-only, newest-first view of the logs stored so far."""
        return LogsView(self._logs, len(self._logs))

    def copies(self, start: int) -> list[_WireLog]:
        """Return copies of the logs from a position on, oldest first."""
        return [dict(log) for log in self._logs[start:]]

    def _index_keys(self, first: int) -> dict[int | None, list[int]]:
        if self._positions_by_key is None:
            self._positions_by_key = {}
        positions_by_key = self._positions_by_key
        instants_by_key = self._instants_by_key
        logs = self._logs[first:]
        instants = self._instants[first:]
        for position, (log, instant) in enumerate(zip(logs, instants, strict=True), start=first):
            key_id = log["apiKeyId"]
            positions = positions_by_key.get(key_id)
            if positions is None:
                positions = positions_by_key[key_id] = []
                instants_by_key[key_id] = []
            positions.append(position)
            instants_by_key[key_id].append(instant)
        return positions_by_key

    def _positions_of(self, api_key_id: int) -> tuple[list[int], list[int]]:
        """Return the positions and instants of one key's logs, oldest first."""
        positions_by_key = self._positions_by_key
        if positions_by_key is None:
            positions_by_key = self._index_keys(0)
        return positions_by_key.get(api_key_id, []), self._instants_by_key.get(api_key_id, [])


class LogsView(Sequence[_WireLog]):
    """The logs a fake held at one moment, newest first.

    Logs are only ever appended, so remembering the length is enough to make this a stable
    snapshot; indexing returns copies, so callers cannot change what the fake serves.
    """

    def __init__(self, logs: list[_WireLog], length: int) -> None:
        """Wrap the first ``length`` logs of an oldest-first list."""
        self._logs = logs
        self._length = length

    def __len__(self) -> int:
        """Return how many logs the view holds."""
        return self._length

    def __iter__(self) -> Iterator[_WireLog]:
        """Yield copies of the logs, newest first."""
        logs = self._logs
        for position in range(self._length - 1, -1, -1):
            yield dict(logs[position])

    @overload
    def __getitem__(self, index: int) -> _WireLog: ...

    @overload
    def __getitem__(self, index: slice) -> list[_WireLog]: ...

    def __getitem__(self, index: int | slice) -> _WireLog | list[_WireLog]:
        """Return a copy of the log at a newest-first index, or copies for a slice."""
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._length))]
        if index < 0:
            index += self._length
        if not 0 <= index < self._length:
            msg = "log index out of range"
            raise IndexError(msg)
        return dict(self._logs[self._length - 1 - index])

    def __repr__(self) -> str:
        """Return a short description (the logs themselves can number in the thousands)."""
        return f"<LogsView of {self._length} logs, newest first>"
