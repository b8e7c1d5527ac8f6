"""Help pages without type noise: typer shows ``<bool>`` beside every flag (``--json <bool>``), which reads as
if the flag took a value. ``QuietGroup`` hides that for flags and ``--help``; types of real values stay.

>>> app = typer.Typer(cls=QuietGroup)                                   # doctest: +SKIP
"""

from __future__ import annotations

from typing import Iterable

from typer.core import TyperGroup


def _hide_flag_types(params: Iterable) -> None:
    for param in params:
        if getattr(param, "is_flag", False) and getattr(param, "metavar", None) is None:
            param.metavar = ""  # typer prints a set metavar instead of the type; empty prints nothing


class QuietGroup(TyperGroup):
    """A typer group whose help (and its commands' help) shows no type beside a flag."""

    def get_params(self, ctx):
        params = super().get_params(ctx)
        _hide_flag_types(params)
        return params

    def get_command(self, ctx, cmd_name: str):
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            command.get_help_option(ctx)  # made lazily; make it now to quiet it too
            _hide_flag_types(command.get_params(ctx))
        return command
