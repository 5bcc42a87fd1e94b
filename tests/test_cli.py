"""chasm.cli: ``python -m chasm COMMAND`` lists its commands and dispatches to the module that owns each."""

from __future__ import annotations

import importlib

from chasm import cli


def test_no_command_lists_the_commands_and_fails(capsys):
    assert cli.main([]) == 2
    err = capsys.readouterr().err
    for name in cli.COMMANDS:
        assert name in err


def test_help_succeeds_and_an_unknown_command_fails(capsys):
    assert cli.main(["--help"]) == 0
    assert "usage: python -m chasm COMMAND" in capsys.readouterr().out
    assert cli.main(["prove-everything"]) == 2


def test_every_command_names_a_module_with_main():
    for name, (module, help_) in cli.COMMANDS.items():
        assert callable(importlib.import_module(module).main), name
        assert help_


def test_dispatch_passes_the_arguments_on(capsys):
    # predict refuses --rows without --family with exit status 2 and says why
    assert cli.main(["predict", "--rows", "2^18"]) == 2
    assert "--family" in capsys.readouterr().err
