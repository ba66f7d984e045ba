"""Errors that reach the user as one clear line.

Every error Argus raises on purpose derives from :class:`ArgusError`; the CLI prints
``error: <message>`` and exits with :attr:`ArgusError.exit_code` (a traceback only with ``--debug``).
"""

from __future__ import annotations


class ArgusError(Exception):
    """Base of every deliberate Argus error; ``str(err)`` is the one-line message for the user."""

    exit_code: int = 1


class ConfigError(ArgusError):
    """A setting is malformed (e.g. an unparsable ``ARGUS_DATABASE_URL``)."""

    exit_code = 2


class DatabaseUnavailableError(ArgusError):
    """The configured database cannot be reached."""

    exit_code = 3


class SchemaOutOfDateError(ArgusError):
    """The database schema is missing or behind the code's migrations (run ``argus db upgrade``)."""

    exit_code = 4


class NotFoundError(ArgusError):
    """A named object (project, insight, test, commit ...) does not exist in scope."""

    exit_code = 5


class InputError(ArgusError):
    """An input file or value is malformed; the message names the input and what was expected."""

    exit_code = 6


class RejectedInputError(InputError):
    """An input was refused (hostile, too large, corrupt); ``source`` names it, ``reason`` says why."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason
