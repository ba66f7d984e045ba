"""One router module per area; :func:`argus.api.app.create_app` includes them."""
