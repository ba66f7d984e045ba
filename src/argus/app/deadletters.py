"""Use cases of dead letters (inputs Argus refused): list, show, retry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from argus.ingest.retry import DeadLetterView, RetryOutcome, RetryStatus

if TYPE_CHECKING:
    from argus.app.runtime import Runtime
    from argus.core.enums import DeadLetterSource
    from argus.ingest.ci_env import CiMetadata

__all__ = ["DeadLetterView", "ListDeadLetters", "RetryDeadLetter", "RetryOutcome", "RetryStatus",
           "list_dead_letters", "retry_dead_letter", "show_dead_letter"]


@dataclass(frozen=True)
class ListDeadLetters:
    project: str | None = None
    source: DeadLetterSource | None = None
    limit: int = 50


@dataclass(frozen=True)
class RetryDeadLetter:
    dead_letter_id: int
    meta: CiMetadata
    project: str | None = None


def list_dead_letters(runtime: Runtime, request: ListDeadLetters) -> tuple[DeadLetterView, ...]:
    """The project's dead letters, most recently seen first (the same input rejected again counts once)."""
    from argus.ingest import retry

    return tuple(runtime.in_project(request.project, lambda scope: retry.list_dead_letters(
        scope.session, source=request.source, limit=request.limit)))


def show_dead_letter(runtime: Runtime, dead_letter_id: int, project: str | None = None) -> DeadLetterView:
    """One dead letter (:class:`~argus.core.errors.NotFoundError` when the project has none of that id)."""
    from argus.ingest import retry

    return runtime.in_project(project, lambda scope: retry.get_dead_letter(scope.session, dead_letter_id))


def retry_dead_letter(runtime: Runtime, request: RetryDeadLetter) -> RetryOutcome:
    """Re-ingest the dead letter's original file in one unit of work; the dead letter is deleted when it
    is stored now (or was already), and counts one more rejection when it is refused again."""
    from argus.ingest import retry

    return runtime.in_project(request.project, lambda scope: retry.retry_dead_letter(
        scope.session, request.dead_letter_id, request.meta, scope.settings.ingest))
