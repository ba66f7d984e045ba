"""The application layer: the use cases every front door (CLI, HTTP API, job workers, dashboard) calls.

A front door parses its input, calls one use case with a :class:`~argus.app.runtime.Runtime` and a
typed request, and renders the frozen read model it gets back. Use cases own the transaction (one
project-scoped unit of work, retried on transient conflicts); the services they call never commit.
See ``docs/development.md`` for where a new capability's files go.
"""
