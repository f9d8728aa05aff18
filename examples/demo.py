"""The SDK's main job, end to end: analytics, the newest request logs, a walk over every log of
the last week, and one key's usage.

By default it starts the embedded fake MeetBot server on 127.0.0.1, so no account is needed.
The fake enforces a rate limit and fails the first analytics request with a 503, to show the
SDK retrying and keeping to the budget; new logs arrive after every page the walk fetches,
to show that it still counts each log once::

    make demo

Against your real account::

    MEETBOT_API_KEY=mb_live_... python examples/demo.py --real
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import sys
from collections import Counter
from collections.abc import Iterator, Sequence

from meetbot_sdk import Analytics, ApiKeyUsage, ApiLog, MeetBot, MeetBotError, RateLimit
from meetbot_sdk.testing import FakeMeetBot, Fault


def format_analytics(analytics: Analytics, period: str) -> str:
    calls, bots = analytics.api_calls, analytics.bots
    rec, tr, hooks = analytics.recordings, analytics.transcriptions, analytics.webhooks
    busiest = max(calls.daily_breakdown, key=lambda day: day.count, default=None)
    lines = [
        f"Usage: the last {period}, and all time",
        f"  API calls     today {calls.today:,} · this month {calls.this_month:,} · "
        f"all time {calls.total:,}",
    ]
    if busiest is not None:
        lines.append(f"                busiest day {busiest.date} with {busiest.count:,} calls")
    lines += [
        f"  Bots          {bots.created:,} created in the last {period} · "
        f"{bots.active:,} active now",
        f"    by platform {_breakdown(bots.platform_breakdown)} (all time)",
        f"    by status   {_breakdown(bots.status_breakdown)} (all time)",
        f"  Recordings    {rec.total:,} · {rec.total_duration_seconds / 3600:,.1f} h · "
        f"{rec.storage_used_mb:,.1f} MB stored (all time)",
        f"  Transcripts   {tr.total:,} · {tr.total_minutes:,.1f} min (all time)",
        f"  Webhooks      {hooks.total_deliveries:,} deliveries · {hooks.success_rate:.1f}% ok · "
        f"{hooks.avg_response_time_ms:.0f} ms average (all time)",
    ]
    return "\n".join(lines)


def _breakdown(counts: dict[str, int]) -> str:
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return ", ".join(f"{name} {count:,}" for name, count in ordered) or "none"


def format_logs(logs: Sequence[ApiLog]) -> str:
    header = ("when (UTC)", "method", "status", "ms", "key", "path")
    rows = [
        (
            log.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            log.method,
            str(log.status_code),
            str(log.response_time_ms),
            log.api_key_name or "(access token)",
            log.path,
        )
        for log in logs
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    right = {2, 3}

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            cell.rjust(w) if i in right else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)])


def summarise_week(client: MeetBot, now: datetime.datetime) -> str:
    """Walk every log of the 7 days before ``now``: requests per key, errors by class."""
    logs = client.api_logs.list(start_date=now - datetime.timedelta(days=7), concurrency=4)
    by_key: Counter[str] = Counter()
    by_class: Counter[str] = Counter()
    seen: set[int] = set()
    for log in logs:
        seen.add(log.id)
        by_key[log.api_key_name or "(access token)"] += 1
        by_class[f"{log.status_code // 100}xx"] += 1
    once = "each once" if len(seen) == logs.items_yielded else "SOME TWICE"
    lines = [
        f"Last 7 days: walked {logs.items_yielded:,} request logs ({once}) "
        f"in {logs.next_page - 1} pages",
        f"  by key      {_breakdown(dict(by_key))}",
        f"  by status   {_breakdown(dict(by_class))}",
    ]
    return "\n".join(lines)


def format_usage(key_id: int, usage: ApiKeyUsage) -> str:
    lines = [
        f"API key {key_id}: {usage.requests_today:,} requests today · "
        f"{usage.requests_this_month:,} this month · {usage.requests_total:,} in all"
    ]
    lines += [
        f"  {r.created_at:%Y-%m-%d %H:%M} {r.method:<6} {r.status_code} {r.path}"
        for r in usage.recent_requests[:5]
    ]
    return "\n".join(lines)


def format_rate_limit(budget: RateLimit | None) -> str:
    if budget is None:
        return "Rate limit: none announced by the server"
    text = f"Rate limit: {budget.remaining:,}"
    if budget.limit is not None:
        text += f" of {budget.limit:,}"
    text += " requests left"
    if budget.reset is not None:
        text += f", window resets at {budget.reset:%H:%M:%S} UTC"
    return text


def run(client: MeetBot, *, period: str = "30d", key_id: int | None = None) -> str:
    """Everything the demo prints, as one string."""
    raw = client.analytics.with_raw_response.get(period=period)  # type: ignore[arg-type]
    analytics = raw.parse()
    page = client.api_logs.get_page(page=1, page_size=15)
    if key_id is None:
        key_id = next((log.api_key_id for log in page.logs if log.api_key_id), None)
    parts = [
        format_analytics(analytics, period),
        f"Newest {len(page.logs)} of {page.total:,} request logs\n" + format_logs(page.logs),
    ]
    newest = page.logs[0].created_at if page.logs else datetime.datetime.now(datetime.timezone.utc)
    parts.append(summarise_week(client, newest))
    if key_id is not None:
        parts.append(format_usage(key_id, client.api_keys.get_usage(key_id)))
    footer = [format_rate_limit(client.rate_limit)]
    if raw.retries_taken:
        times = "once" if raw.retries_taken == 1 else f"{raw.retries_taken} times"
        footer.append(
            f"The analytics call was retried {times} and took "
            f"{raw.elapsed.total_seconds():.2f} s in all (see docs: Retries and rate limits)."
        )
    parts.append("\n".join(footer))
    return "\n\n".join(parts)


@contextlib.contextmanager
def _client(real: bool) -> Iterator[MeetBot]:
    if real:
        with MeetBot() as client:  # MEETBOT_API_KEY, MEETBOT_BASE_URL
            yield client
        return
    fake = FakeMeetBot(seed=2026, log_count=5_000, now=datetime.datetime.now(datetime.timezone.utc))
    fake.set_rate_limit(60, per=60.0)
    fake.inject(Fault.status(503), path="/users/me/analytics")
    fake.add_logs_after_each_page(5)  # live traffic: every page shifts the next one
    with fake.serve() as base_url, MeetBot(api_key=fake.api_key, base_url=base_url) as client:
        print(f"(fake MeetBot server listening at {base_url})\n")
        yield client


def main(argv: Sequence[str] | None = None) -> int:
    # The docstring's first paragraph, whole: the one-line summary spans two lines.
    summary = " ".join((__doc__ or "").partition("\n\n")[0].split())
    parser = argparse.ArgumentParser(description=summary)
    parser.add_argument("--real", action="store_true", help="use MEETBOT_API_KEY, not the fake")
    parser.add_argument("--period", choices=["7d", "30d", "90d"], default="30d")
    parser.add_argument("--key-id", type=int, default=None, help="whose usage to show")
    args = parser.parse_args(argv)
    try:
        with _client(args.real) as client:
            print(run(client, period=args.period, key_id=args.key_id))
    except MeetBotError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
