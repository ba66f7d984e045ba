"""``argus demo``: the guided tour a newcomer starts with."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from argus.cli.context import state
from argus.cli.output import console, print_json
from argus.core.errors import InputError

if TYPE_CHECKING:
    from argus.cli.app import CommandGroups


def demo(
    ctx: typer.Context,
    out: Path = typer.Option(
        Path("argus-demo"), "--out", help="Folder for the demo (replaced if it holds an earlier demo)."
    ),
    scale: str = typer.Option("default", "--scale", help="Simulator preset: small | default | large."),
    seed: int | None = typer.Option(None, "--seed", help="Simulator seed (same seed, same history)."),
    json_out: bool = typer.Option(False, "--json", help="Print a JSON summary instead of the tour."),
) -> None:
    """Simulate a CI history, ingest it with the normal commands, run every analysis, show what was found."""
    from rich.markdown import Markdown

    from argus.cli.demo.run import run_demo
    from argus.sim import Scale

    try:
        preset = Scale(scale)
    except ValueError:
        raise InputError(f"--scale {scale!r}: expected one of small, default, large") from None
    result, text = run_demo(state(ctx), out, preset, seed)
    if json_out:
        print_json(result.summary())
    else:
        console().print(Markdown(text))
        console(stderr=True).print(
            f"\nreport written to {result.paths.report}; database {result.paths.database} "
            f"({result.log.ran} argus commands run, {len(result.log.failed)} failed)"
        )
        console(stderr=True).print(dashboard_hint(result.database_url), markup=False, highlight=False, soft_wrap=True)
    if result.log.failed:
        raise typer.Exit(1)


def dashboard_hint(database_url: str) -> str:
    """How to open the web dashboard on the demo's database (printed at the end of the tour)."""
    return (
        "\nOpen the web dashboard on the demo data (needs the server extra):\n"
        f"  export ARGUS_DATABASE_URL={database_url}\n"
        "  argus tokens create me --role maintainer  # prints a token once\n"
        "  argus serve      # open http://127.0.0.1:8000, paste the token"
    )


def register(root: typer.Typer, groups: CommandGroups) -> None:
    root.command("demo")(demo)
