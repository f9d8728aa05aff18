"""Hypothesis strategies of what a server may send (bytes, statuses, headers, JSON, pages of
logs, with the key echoed here and there), for the tests that any of it gives a model or a
documented error in bounded time, never showing the key."""

from __future__ import annotations

import datetime
import json

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from meetbot_sdk import _models

KEY = "mb_live_FuzzKey_0123456789abcdefXYZ"


# Generous: a loaded 2-core machine must never make this flaky; a hang still fails it.
SETTINGS = settings(
    max_examples=150,
    deadline=datetime.timedelta(seconds=5),
    suppress_health_check=[HealthCheck.too_slow],
)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=30)
    | st.just(KEY),
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5)
    ),
    max_leaves=30,
)


fitting = st.fixed_dictionaries(
    {
        "requestsToday": st.integers() | st.just(KEY),
        "requestsThisMonth": st.integers(),
        "requestsTotal": st.integers(),
        "recentRequests": st.lists(
            st.fixed_dictionaries(
                {
                    "method": st.text(max_size=5) | st.just(KEY),
                    "path": st.text(max_size=5),
                    "statusCode": st.integers(),
                    "createdAt": st.sampled_from(["2024-01-15T10:30:00Z", KEY, "2024-13-01"]),
                }
            ),
            max_size=3,
        ),
    }
)


bodies = st.one_of(
    st.binary(max_size=300),
    json_values.map(lambda v: json.dumps(v).encode()),
    fitting.map(lambda v: json.dumps(v).encode()),
    st.lists(st.sampled_from(["<", ">", "<title>", "</title>", "[", "{", '"a":', KEY, "x "])).map(
        lambda parts: "".join(parts).encode()
    ),
)


header_values = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40
) | st.sampled_from([KEY, f"https://x.example/?t={KEY}", "0", "-1", "nan", "1e309", "2"])


headers = st.dictionaries(
    st.sampled_from(
        [
            "Retry-After",
            "retry-after-ms",
            "X-RateLimit-Remaining",
            "X-RateLimit-Reset",
            "X-RateLimit-Limit",
            "RateLimit-Remaining",
            "RateLimit-Reset",
            "Location",
            "X-Request-Id",
            "Content-Type",
            "Content-Encoding",
        ]
    ),
    header_values,
    max_size=5,
)


statuses = st.sampled_from([200, 201, 204, 301, 302, 307, 400, 401, 404, 409, 422, 429, 500, 503])


statuses |= st.integers(200, 599)


def texts_shown(error: BaseException) -> list[str]:
    shown = [str(error), repr(error)]
    for name in ("body", "message", "request_id", "path"):
        shown.append(repr(getattr(error, name, None)))
    return shown


MODELS = [getattr(_models, name) for name in _models.__all__]


log_entries = st.fixed_dictionaries(
    {
        "id": st.integers(-3, 30),
        "method": st.just("GET"),
        "path": st.just("/x"),
        "statusCode": st.just(200),
        "responseTimeMs": st.just(1),
        "apiKeyId": st.none(),
        "apiKeyName": st.none(),
        "ipAddress": st.none(),
        "userAgent": st.none(),
        "createdAt": st.sampled_from(["2024-01-15T10:30:00Z", "2024-01-15T10:29:00Z"]),
    }
)


pages = st.fixed_dictionaries(
    {
        "logs": st.lists(log_entries, max_size=4),
        "total": st.integers(-5, 40) | st.just(10**18),
        "page": st.integers(-2, 12),
        "page_size": st.integers(-1, 5),
    }
).map(lambda page: json.dumps(page).encode())


answers = st.lists(
    st.tuples(st.sampled_from([200, 200, 200, 500, 404]), pages | bodies), min_size=1, max_size=8
)
