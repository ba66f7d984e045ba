"""Command groups that import a command's module only when that command runs.

Listings (``argus --help``, ``argus ingest --help``) show placeholders built from the static
registry of :mod:`argus.cli.commands`; resolving a command name for execution swaps the placeholder
for the real command, built by calling the module's ``register`` on a scratch Typer app.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, ClassVar

import typer
from typer import _click
from typer.core import TyperCommand, TyperGroup, TyperOption

from argus.cli import commands
from argus.cli.commands import INGEST, PARSE, ROOT, CommandEntry

ROOT_SETTINGS: dict[str, Any] = {"no_args_is_help": True, "add_completion": False,
                                 "pretty_exceptions_enable": False, "rich_markup_mode": "rich"}


@dataclass(frozen=True)
class CommandGroups:
    """Sub-command groups shared by several command modules."""

    ingest: typer.Typer
    parse: typer.Typer


def scratch_app(module: str) -> typer.Typer:
    """A Typer app holding exactly what ``argus.cli.commands.<module>`` registers."""
    mod = importlib.import_module(f"argus.cli.commands.{module}")
    root = typer.Typer(**ROOT_SETTINGS)
    groups = CommandGroups(ingest=typer.Typer(), parse=typer.Typer())
    mod.register(root, groups)
    for name, group in (("ingest", groups.ingest), ("parse", groups.parse)):
        if group.registered_commands:
            root.add_typer(group, name=name)
    return root


@cache
def _module_group(module: str) -> TyperGroup:
    group = typer.main.get_group(scratch_app(module))
    plain_flags(group)
    return group


def unlisted_modules() -> list[str]:
    """Command modules that no registry entry names (listing a directory: cheap)."""
    listed = {e.module for reg in (ROOT, INGEST, PARSE) for e in reg.values()}
    return sorted(m.name for m in pkgutil.iter_modules(commands.__path__) if m.name not in listed)


def load_command(path: tuple[str, ...], name: str, entry: CommandEntry) -> _click.Command:
    """The real command ``name`` under group ``path`` (``()`` for the root), importing its module."""
    node: _click.Command = _module_group(entry.module)
    for part in (*path, name):
        found = node.commands.get(part) if isinstance(node, TyperGroup) else None
        if found is None:
            raise LookupError(f"argus.cli.commands.{entry.module} registers no command {' '.join((*path, name))!r}")
        node = found
    return node


SHARED_HELP: dict[str, str] = {
    "--json": "Print JSON instead of tables.",
    "--project": "Project (default from settings).",
    "--commit": "Commit sha of the CI run (default: from the CI env / git).",
    "--run-id": "CI run id (default: from the CI env).",
    "--branch": "Branch of the CI run (default: from the CI env / git).",
    "--job": "CI job name (default: from the CI env).",
    "--attempt": "CI run attempt, 1 for the first (default: from the CI env).",
    "--limit": "Show at most this many rows.",
}
"""Help for options that mean the same in every command, used where a command gives none."""


def plain_flags(cmd: _click.Command) -> None:
    """Polish help, recursively: no ``<bool>`` placeholder on on/off flags; shared options get help."""
    options = [*cmd.params, cmd.get_help_option(_click.Context(cmd))]
    for param in options:
        if param is None:
            continue
        if getattr(param, "is_flag", False):
            param.metavar = ""
        if isinstance(param, TyperOption) and not param.help:
            param.help = next((SHARED_HELP[o] for o in param.opts if o in SHARED_HELP), None)
    if isinstance(cmd, TyperGroup):
        for sub in cmd.commands.values():
            plain_flags(sub)


class _LazyGroup(TyperGroup):
    """A group whose registry commands are placeholders until resolved for execution."""

    path: ClassVar[tuple[str, ...]] = ()
    registry: ClassVar[Mapping[str, CommandEntry]] = {}

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.placeholders = {name for name in self.registry if name not in self.commands}
        for name in self.placeholders:
            self.commands[name] = TyperCommand(name, help=self.registry[name].help, callback=None)
        self.commands = dict(sorted(self.commands.items()))
        plain_flags(self)
        for module in unlisted_modules():  # a module missing from the registry still works (slower)
            group: _click.Command = _module_group(module)
            for part in self.path:
                group = group.commands.get(part) if isinstance(group, TyperGroup) else None  # type: ignore[assignment]
            if isinstance(group, TyperGroup):
                for name, cmd in group.commands.items():
                    self.commands.setdefault(name, cmd)

    def resolve_command(
        self, ctx: _click.Context, args: list[str]
    ) -> tuple[str | None, _click.Command | None, list[str]]:
        name, cmd, rest = super().resolve_command(ctx, args)
        if name is not None and name in self.placeholders:
            cmd = self.commands[name] = load_command(self.path, name, self.registry[name])
            self.placeholders.discard(name)
        return name, cmd, rest


class RootGroup(_LazyGroup):
    """``argus``."""

    registry = ROOT


class IngestGroup(_LazyGroup):
    """``argus ingest``."""

    path = ("ingest",)
    registry = INGEST


class ParseGroup(_LazyGroup):
    """``argus parse``."""

    path = ("parse",)
    registry = PARSE
