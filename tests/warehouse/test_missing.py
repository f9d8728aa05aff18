"""Without the ``dlt`` extra, ``meetbot_sdk.dlt`` says exactly what to install.

In the bare run (no extra installed) this is what users get; in the normal run the modules are
hidden (``sys.modules[name] = None`` makes ``import name`` fail as if it were missing)."""

from __future__ import annotations

import importlib
import sys

import pytest

from tests.support import BARE_RUN


@pytest.mark.parametrize("missing", ["dlt", "pyarrow"])
def test_importing_the_source_names_the_install_line(
    missing: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if BARE_RUN:
        assert missing not in sys.modules
    else:
        monkeypatch.setitem(sys.modules, missing, None)
    monkeypatch.delitem(sys.modules, "meetbot_sdk.dlt", raising=False)
    with pytest.raises(ImportError) as caught:
        importlib.import_module("meetbot_sdk.dlt")
    expected = "dlt" if BARE_RUN else missing  # the bare run misses both: dlt is checked first
    assert str(caught.value) == (
        f"meetbot_sdk.dlt needs the optional {expected!r} package."
        ' Install it with: pip install "meetbot-sdk[dlt]"'
    )
