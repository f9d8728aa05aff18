"""Without the extra, each data and chart method says exactly what to install, and sends nothing.

In the bare run (no extra installed) this is what users get; in the normal run the module is
hidden (``sys.modules[name] = None`` makes ``import name`` fail as if it were missing)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import pytest

from meetbot_sdk.testing import FakeMeetBot
from tests.support import BARE_RUN
from tests.support.frames import call

INSTALL = 'Install it with: pip install "meetbot-sdk[{extra}]"'


def hide(monkeypatch: pytest.MonkeyPatch, *modules: str) -> None:
    """Make the modules missing, as in the bare run (where they are)."""
    if BARE_RUN:
        for module in modules:
            assert module not in sys.modules
            with pytest.raises(ImportError):
                __import__(module)
        return
    for module in modules:
        monkeypatch.setitem(sys.modules, module, None)


def fetch_models(fake: FakeMeetBot) -> dict[str, Any]:
    def get(client: Any) -> dict[str, Any]:
        return {
            "ApiLogPage": client.api_logs.get_page(page_size=5),
            "Analytics": client.analytics.get(),
            "ApiKeyUsage": client.api_keys.get_usage(1),
        }

    models: dict[str, Any] = call(fake, "sync", "in-process", get)
    return models


MODEL_CALLS: list[tuple[str, str, str, Callable[[Any], Any]]] = [
    ("ApiLogPage", "pandas", "pandas", lambda m: m.to_pandas()),
    ("ApiLogPage", "polars", "polars", lambda m: m.to_polars()),
    ("Analytics", "pandas", "pandas", lambda m: m.to_pandas()),
    ("Analytics", "polars", "polars", lambda m: m.to_polars()),
    ("Analytics", "plot", "matplotlib", lambda m: m.plot()),
    ("ApiKeyUsage", "pandas", "pandas", lambda m: m.to_pandas()),
    ("ApiKeyUsage", "polars", "polars", lambda m: m.to_polars()),
    ("ApiLogPage", "arrow", "pyarrow", lambda m: m.to_arrow()),
    ("Analytics", "arrow", "pyarrow", lambda m: m.to_arrow()),
    ("ApiKeyUsage", "arrow", "pyarrow", lambda m: m.to_arrow()),
]


@pytest.mark.parametrize(
    ("model", "extra", "module", "method"),
    MODEL_CALLS,
    ids=[f"{model}-{extra}" for model, extra, _, _ in MODEL_CALLS],
)
def test_a_model_method_names_the_install_line(
    model: str,
    extra: str,
    module: str,
    method: Callable[[Any], Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    models = fetch_models(FakeMeetBot(log_count=20))
    hide(monkeypatch, module, *((f"{module}.pyplot",) if module == "matplotlib" else ()))
    with pytest.raises(ImportError) as caught:
        method(models[model])
    name = "plot" if extra == "plot" else f"to_{extra}"
    assert str(caught.value) == (
        f"{model}.{name}() needs the optional {module!r} package. {INSTALL.format(extra=extra)}"
    )


@pytest.mark.parametrize("library", ["pandas", "polars"])
@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_pager_names_the_install_line_before_any_request(
    kind: str, library: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    hide(monkeypatch, library)
    fake = FakeMeetBot(log_count=20)
    with pytest.raises(ImportError) as caught:
        call(fake, kind, "in-process", lambda c: getattr(c.api_logs.list(), f"to_{library}")())
    pager = "ApiLogPager" if kind == "sync" else "AsyncApiLogPager"
    assert str(caught.value) == (
        f"{pager}.to_{library}() needs the optional {library!r} package. "
        + INSTALL.format(extra=library)
    )
    assert fake.requests == []


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_pager_names_the_arrow_install_line_before_any_request(
    kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    hide(monkeypatch, "pyarrow")
    fake = FakeMeetBot(log_count=20)
    with pytest.raises(ImportError) as caught:
        call(fake, kind, "in-process", lambda c: c.api_logs.list().to_arrow())
    pager = "ApiLogPager" if kind == "sync" else "AsyncApiLogPager"
    assert str(caught.value) == (
        f"{pager}.to_arrow() needs the optional 'pyarrow' package. " + INSTALL.format(extra="arrow")
    )
    assert fake.requests == []


@pytest.mark.skipif(BARE_RUN, reason="the bare run has no pandas to ask for a bar with")
def test_a_progress_bar_without_tqdm_names_the_install_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hide(monkeypatch, "tqdm")
    fake = FakeMeetBot(log_count=20)
    with pytest.raises(ImportError, match=r'pip install "meetbot-sdk\[pandas\]"$'):
        call(fake, "sync", "in-process", lambda c: c.api_logs.list().to_pandas(progress=True))
    assert fake.requests == []
