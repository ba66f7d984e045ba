"""Command modules; each defines ``register(root: typer.Typer, groups: CommandGroups) -> None``."""
