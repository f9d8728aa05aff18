"""The "Command line" page names every command and every option the command has."""

from __future__ import annotations

import pathlib

from tests.support import needs_extra

PAGE = pathlib.Path(__file__).resolve().parents[2] / "docs" / "cli.rst"


def test_the_docs_page_shows_every_command_and_option() -> None:
    needs_extra("click")
    from meetbot_sdk.cli._app import cli

    text = PAGE.read_text()
    assert cli.commands
    for name, command in cli.commands.items():
        assert f"``meetbot {name}" in text, name
        assert f"$ meetbot {name}" in text, f"no example of {name}"
        for param in command.params:
            for flag in param.opts:
                if flag.startswith("--"):
                    assert f"``{flag}" in text, f"{name} {flag}"
