"""Command line: a Typer app whose commands are thin calls into services."""
