"""The ``argus`` command.

Command modules live in :mod:`argus.cli.commands`; each defines ``register(root, groups)`` and is
listed in that package's static registry, so adding a command never means editing this file, and a
command's module (with SQLAlchemy, Alembic, NumPy ...) is imported only when that command runs.
"""

from __future__ import annotations

import sys
from functools import cache
from typing import Any

import typer
from typer import _click

from argus import __version__
from argus.cli.context import CliState
from argus.cli.lazy import ROOT_SETTINGS, CommandGroups, IngestGroup, ParseGroup, RootGroup
from argus.core.errors import ArgusError, DatabaseUnavailableError, InputError

__all__ = ["CommandGroups", "build_app", "main", "run"]


def _version(value: bool) -> None:
    if value:
        print(f"argus {__version__}")
        raise typer.Exit()


def build_app() -> typer.Typer:
    """Assemble the Typer app: built-in groups, and placeholders for the registry's commands."""
    root = typer.Typer(
        name="argus",
        help="Argus: quality and delivery intelligence from your CI reports and git history.",
        cls=RootGroup,
        **ROOT_SETTINGS,
    )

    @root.callback()
    def _root(
        ctx: typer.Context,
        debug: bool = typer.Option(False, "--debug", help="Show tracebacks on errors."),
        version: bool = typer.Option(
            False, "--version", callback=_version, is_eager=True, help="Print the version."
        ),
    ) -> None:
        if isinstance(ctx.obj, CliState):  # injected by a caller (e.g. `argus demo` running sub-commands)
            ctx.obj.debug = ctx.obj.debug or debug
        else:
            ctx.obj = CliState(debug=debug)

    root.add_typer(typer.Typer(cls=IngestGroup, help="Store reports and history (idempotent).",
                               no_args_is_help=True), name="ingest")
    root.add_typer(typer.Typer(cls=ParseGroup, help="Parse reports without storing them (validation).",
                               no_args_is_help=True), name="parse")
    return root


@cache
def _command() -> Any:
    """The Click command behind the Typer app, built once per process (commands may run many times)."""
    return typer.main.get_command(build_app())


_TRANSIENT_HINT = (
    "the database stayed locked by another writer (SQLite: another Argus command, e.g. `argus ingest git`, "
    "holds the write lock; PostgreSQL: a deadlock) after every retry; run the command again when that one "
    "has finished"
)


def _print_error(message: str, code: int) -> int:
    from argus.cli.output import console, styled

    console(stderr=True).print(styled(("error:", "bold red"), f" {' '.join(message.split())}"), soft_wrap=True)
    return code


def main(argv: list[str] | None = None, *, cli_state: CliState | None = None) -> int:
    """Entry point: run the app, turning Argus errors into one line and an exit code.

    ``cli_state`` lets a caller run commands against given settings (the demo uses its own database).
    """
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args or (cli_state is not None and cli_state.debug)
    own = CliState() if cli_state is None else None  # closed below: no pooled connection outlives the call
    try:
        result = _command().main(args=args, prog_name="argus", standalone_mode=False, obj=cli_state or own)
        return int(result) if isinstance(result, int) else 0
    except ArgusError as exc:
        if debug:
            raise
        from argus.cli.output import console, styled

        message = " ".join(str(exc).split())
        console(stderr=True).print(styled(("error:", "bold red"), f" {message}"), soft_wrap=True)
        return exc.exit_code
    except typer.Exit as exc:
        return exc.exit_code
    except (typer.Abort, KeyboardInterrupt):
        from argus.cli.output import console

        console(stderr=True).print("aborted")
        return 130
    except _click.exceptions.UsageError as exc:
        if debug:
            raise
        if isinstance(exc, _click.exceptions.NoArgsIsHelpError):
            exc.show()  # a bare group: its help, as asked
            return exc.exit_code
        from argus.cli.output import console, styled

        where = exc.ctx.command_path if exc.ctx is not None else "argus"
        message = " ".join(f"{exc.format_message()} (see `{where} --help`)".split())
        console(stderr=True).print(styled(("error:", "bold red"), f" {where}: {message}"), soft_wrap=True)
        return InputError.exit_code
    except Exception as exc:
        if type(exc).__module__.startswith("sqlalchemy") and not debug:
            from argus.core.db import is_transient

            if is_transient(exc):  # retried already (CliState.in_project): say so in one line
                return _print_error(_TRANSIENT_HINT, DatabaseUnavailableError.exit_code)
            # anything else the database refused: the driver's first line only, never the SQL or its
            # parameters (they may hold report content); the transaction was rolled back whole
            orig = getattr(exc, "orig", None)
            first = (str(orig) if orig is not None else type(exc).__name__).strip().splitlines() or [""]
            return _print_error(f"the database refused the command ({first[0][:300]}); nothing of it was "
                                "stored; run with --debug for the details", DatabaseUnavailableError.exit_code)
        # other click errors (e.g. a file that cannot be opened) from the click that typer bundles
        show = getattr(exc, "show", None)
        if show is not None and isinstance(getattr(exc, "exit_code", None), int) and not debug:
            show()
            return int(exc.exit_code)  # type: ignore[attr-defined]
        raise
    finally:
        if own is not None:
            own.close()


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":
    run()
