"""``argus serve``: run the team server (the FastAPI app of :mod:`argus.api`) with uvicorn.

Every uvicorn worker process builds its own app through the factory ``argus.api.app:create_app``
(settings from the environment, no module globals), so workers and servers share nothing but the
database: run as many as needed behind a load balancer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from argus.cli.app import CommandGroups

APP_FACTORY = "argus.api.app:create_app"
#: The JSON log formatter (named, not imported: the CLI does not import argus.api, uvicorn does).
JSON_FORMATTER = "argus.api.logging.JsonFormatter"


def uvicorn_log_config(level: str = "INFO") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for uvicorn and ``argus.*``: one JSON object per line on stderr."""
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JSON_FORMATTER}},
        "handlers": {"default": handler},
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": level, "propagate": False},
            "uvicorn.error": {"handlers": ["default"], "level": level, "propagate": False},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            "argus": {"handlers": ["default"], "level": level, "propagate": False},
        },
    }


def register(root: typer.Typer, groups: CommandGroups) -> None:
    root.command("serve")(serve)


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to bind (0.0.0.0: every interface)."),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="TCP port."),
    workers: int = typer.Option(1, "--workers", min=1, max=64, help="Worker processes (each with its own app)."),
) -> None:
    """Run the team server (HTTP API) with uvicorn."""
    import uvicorn

    from argus.core.settings import load_settings

    load_settings()  # configuration errors exit 2 here, once, not in every worker
    uvicorn.run(APP_FACTORY, factory=True, host=host, port=port, workers=workers,
                log_config=uvicorn_log_config(), access_log=False, proxy_headers=False)
