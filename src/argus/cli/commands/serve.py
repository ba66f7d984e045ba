"""``argus serve``: run the team server (the FastAPI app of :mod:`argus.api`) with uvicorn.

Every uvicorn worker process builds its own app through the factory ``argus.api.app:create_app``
(settings from the environment, no module globals), so workers and servers share nothing but the
database: run as many as needed behind a load balancer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from argus.cli.app import CommandGroups

APP_FACTORY = "argus.api.app:create_app"


def register(root: typer.Typer, groups: CommandGroups) -> None:
    root.command("serve")(serve)


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to bind (0.0.0.0: every interface)."),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="TCP port."),
    workers: int = typer.Option(1, "--workers", min=1, max=64, help="Worker processes (each with its own app)."),
) -> None:
    """Run the team server (HTTP API) with uvicorn."""
    import uvicorn

    from argus.api.logging import uvicorn_log_config
    from argus.core.settings import load_settings

    load_settings()  # configuration errors exit 2 here, once, not in every worker
    uvicorn.run(APP_FACTORY, factory=True, host=host, port=port, workers=workers,
                log_config=uvicorn_log_config(), access_log=False, proxy_headers=False)
