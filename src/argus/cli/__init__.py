"""Command-line interface (``argus``); the app is :mod:`argus.cli.app`."""

from __future__ import annotations

import sys


def run() -> None:
    """Console-script entry point: ``argus --version`` is answered before Typer and Rich are imported."""
    if sys.argv[1:] == ["--version"]:
        from argus import __version__

        print(f"argus {__version__}")
        sys.exit(0)
    from argus.cli.app import run as run_app

    run_app()
