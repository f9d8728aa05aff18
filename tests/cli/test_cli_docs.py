"""The "Command line" page names every command and every option the command has."""

from __future__ import annotations

import pathlib

import pytest

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


@pytest.mark.parametrize(
    ("shell", "line"),
    [
        ("bash", 'eval "$(_MEETBOT_COMPLETE=bash_source meetbot)"'),
        ("zsh", 'eval "$(_MEETBOT_COMPLETE=zsh_source meetbot)"'),
        ("fish", "_MEETBOT_COMPLETE=fish_source meetbot | source"),
    ],
)
def test_the_documented_completion_lines_print_a_completion_script(
    shell: str, line: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    needs_extra("click")
    from meetbot_sdk.cli import main

    assert line in PAGE.read_text()
    monkeypatch.setenv("_MEETBOT_COMPLETE", f"{shell}_source")
    with pytest.raises(SystemExit) as exited:
        main([])
    assert exited.value.code == 0
    script = capsys.readouterr().out
    assert "_meetbot_completion" in script
    assert "_MEETBOT_COMPLETE" in script


def test_completion_completes_commands_and_flags(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    needs_extra("click")
    from meetbot_sdk.cli import main

    monkeypatch.setenv("_MEETBOT_COMPLETE", "bash_complete")
    for words, cword, expected in (
        ("meetbot lo", "1", ["plain,load", "plain,logs"]),
        ("meetbot logs --no", "2", ["plain,--no-color"]),
    ):
        monkeypatch.setenv("COMP_WORDS", words)
        monkeypatch.setenv("COMP_CWORD", cword)
        with pytest.raises(SystemExit):
            main([])
        assert capsys.readouterr().out.splitlines() == expected
