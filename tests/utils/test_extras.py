"""The helper behind every optional extra: an exact install line when the extra is missing."""

from __future__ import annotations

import subprocess
import sys

import pytest

from meetbot_sdk._utils._extras import install_line, require


def test_a_present_module_is_returned() -> None:
    assert require("json", "speedups", feature="x") is sys.modules["json"]


def test_a_missing_module_names_the_exact_install_line() -> None:
    with pytest.raises(ImportError) as caught:
        require("meetbot_no_such_module.sub", "pandas", feature="ApiLogPage.to_pandas()")
    message = str(caught.value)
    assert message == (
        "ApiLogPage.to_pandas() needs the optional 'meetbot_no_such_module' package. "
        'Install it with: pip install "meetbot-sdk[pandas]"'
    )
    assert caught.value.__cause__ is None


def test_a_broken_dependency_of_a_present_extra_is_not_disguised(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(name: str) -> None:
        raise ImportError("No module named 'numpy'", name="numpy")

    monkeypatch.setattr("importlib.import_module", broken)
    with pytest.raises(ImportError, match="numpy") as caught:
        require("pandas", "pandas", feature="x")
    assert "pip install" not in str(caught.value)


def test_install_line() -> None:
    assert install_line("cli") == 'pip install "meetbot-sdk[cli]"'


def test_importing_the_sdk_and_its_testing_kit_imports_no_extra() -> None:
    extras = ["IPython", "matplotlib", "numpy", "pandas", "polars", "tqdm"]
    code = (
        "import sys, meetbot_sdk, meetbot_sdk.testing;"
        f" print(sorted(set({extras!r}) & set(sys.modules)))"
    )
    result = subprocess.run(  # noqa: S603 (this interpreter, a fixed command)
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
