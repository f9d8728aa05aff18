"""The examples in the package's docstrings run, and print what they show."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import meetbot_sdk
from tests.support import BARE_RUN, needs_extra

MODULES = sorted(
    info.name for info in pkgutil.walk_packages(meetbot_sdk.__path__, prefix="meetbot_sdk.")
)
# The command's modules import its extra (click, rich) at the top; the package itself does not.
NEEDS_CLI = tuple(name for name in MODULES if name.startswith("meetbot_sdk.cli."))
# The warehouse source's modules import dlt at the top, as users of meetbot_sdk.dlt expect.
NEEDS_DLT = tuple(
    name
    for name in MODULES
    if name == "meetbot_sdk.dlt" or name.startswith("meetbot_sdk._warehouse.")
)


def test_the_examples_are_found() -> None:
    assert "meetbot_sdk.testing._fake" in MODULES
    examples = sum(
        len(test.examples)
        for name in MODULES
        if not (BARE_RUN and name in NEEDS_CLI + NEEDS_DLT)
        for test in doctest.DocTestFinder().find(importlib.import_module(name))
    )
    assert examples > 20


@pytest.mark.parametrize("name", MODULES)
def test_the_docstring_examples_of_a_module_pass(name: str) -> None:
    if name in NEEDS_CLI:
        needs_extra("click")
    if name in NEEDS_DLT:
        needs_extra("dlt")
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, report=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
