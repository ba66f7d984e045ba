"""The HTTP API of the team server (FastAPI). Build it with :func:`argus.api.app.create_app`; routes
are thin adapters over the use cases of :mod:`argus.app`, like the CLI."""
