"""Pure clustering steps: failure text, cluster keys, trend and insight confidence."""

from __future__ import annotations

import re
from collections.abc import Sequence

from argus.analysis.failures.miner import MinerConfig, TemplateMiner
from argus.analysis.failures.normalise import WILDCARD, normalise
from argus.analysis.failures.schemas import Assignment, ClusterKey, FailureInput, Trend
from argus.analysis.failures.stack import SKIP_MODULES, SKIP_PATHS, stack_fingerprint
from argus.core.settings import ClusterSettings

_PYTEST_E = re.compile(r"(?m)^\s*E\s+(\S.*)$")


def miner_config(settings: ClusterSettings) -> MinerConfig:
    """The template miner's parameters, derived from the clustering settings (:func:`argus.core.settings.derive`)."""
    from argus.core.settings import derive

    return derive(MinerConfig, settings, max_chars=settings.message_max_chars)


def failure_text(message: str | None, failure_type: str | None, stack: str | None) -> str:
    """The text mined for one failure: its type, then the first non-empty line of its message.

    Without a message, the last line of the stack that is not a frame (where most runtimes print
    ``Type: message``) stands in. When the message is pytest's long representation (source lines
    starting ``self =`` / ``def``), its first ``E   ...`` line — the exception — is used instead. The type comes first so that it is a constant of the template.
    """
    first = next((ln.strip() for ln in (message or "").splitlines() if ln.strip()), "")
    pytest_e = _PYTEST_E.search(stack or "") or _PYTEST_E.search(message or "")
    if pytest_e and (not first or first.startswith(("self =", "def ", "@")) or len(first) > 300):
        first = pytest_e.group(1).strip()  # pytest's long repr: the ``E   ...`` line is the error
    if not first and stack:
        lines = [ln.strip() for ln in stack.splitlines() if ln.strip()]
        body = [ln for ln in lines if not ln.startswith(("at ", "File ", "from ", "^", "~"))]
        first = body[-1] if body else (lines[0] if lines else "")
    ftype = (failure_type or "").strip()
    if ftype and not first.startswith(ftype) and ftype.rsplit(".", 1)[-1] not in first.split(":", 1)[0]:
        return f"{ftype}: {first}" if first else ftype
    return first or ftype or "(no message)"


def assign(
    miner: TemplateMiner, failures: Sequence[FailureInput], settings: ClusterSettings
) -> list[Assignment]:
    """Cluster keys for ``failures`` (in order); new templates are mined into ``miner``.

    The own-code frames are always returned (for display); the stack fingerprint is part of the key
    only when ``settings.stack_split`` asks for it (always, or for generic templates).
    """
    cfg = miner.config
    off = frozenset(cfg.mask_off)
    token_lists = [
        tuple(
            normalise(failure_text(f.message, f.failure_type, f.stack), max_chars=cfg.max_chars, mask_off=off)
        )
        for f in failures
    ]
    template_ids = miner.add_token_lists(token_lists)
    out: list[Assignment] = []
    for f, tid in zip(failures, template_ids, strict=True):
        fp, frames = own_stack(f.stack, settings)
        template = miner.templates[tid].tokens
        key = ClusterKey(template, fp if needs_split(template, settings) else None)
        out.append(Assignment(f.result_id, key, tuple(frames)))
    return out


def own_stack(stack: str | None, settings: ClusterSettings) -> tuple[str | None, list[str]]:
    """Stack fingerprint and own-code frame keys of ``stack`` under the project's skip lists."""
    return stack_fingerprint(
        stack,
        frames=settings.stack_frames,
        skip_paths=(*SKIP_PATHS, *settings.extra_skip_paths),
        skip_modules=(*SKIP_MODULES, *settings.extra_skip_modules),
    )


#: Exception types whose cause lies outside the code (network, DNS, memory): where they are raised says
#: nothing about why, so a generic template of such a type is never split by code location (an
#: unreachable artifact server fails every test the same way, whatever frames each test has).
_ENVIRONMENTAL = re.compile(
    r"(ConnectException|ConnectionError|ConnectionRefused\w*|ConnectionReset\w*|ConnectTimeout\w*|"
    r"SocketTimeoutException|SocketException|UnknownHostException|NoRouteToHostException|"
    r"gaierror|OutOfMemoryError|MemoryError)\b:?$"
)


def needs_split(template: Sequence[str], settings: ClusterSettings) -> bool:
    """Whether failures of ``template`` are further split by their stack fingerprint."""
    if settings.stack_split == "always":
        return True
    if template and _ENVIRONMENTAL.search(template[0]):
        return False
    return settings.stack_split == "generic" and is_generic(template, settings.generic_max_words)


_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")
#: Words of assertion phrasing in every ecosystem (``expected: <*> but was: <*>``, ``got <*>, want
#: <*>``): they say a comparison failed, not why, so they do not make a template specific.
_GLUE = frozenset({"expected", "but", "was", "got", "want", "actual", "received", "to", "be", "equal"})


def is_generic(template: Sequence[str], max_words: int = 2) -> bool:
    """True when the template has at most ``max_words`` constant words after its first token.

    ``AssertionError: assert <*> == <*>`` (1 word after the type) or ``KeyError: <*>`` (0) say
    little about the cause: the code location must tell such failures apart. ``OSError: [Errno <*>]
    Too many open files: <*>`` (5) names its cause wherever it is raised. The default of 2 is the
    largest that does not split the simulator's cross-test root causes (bench/eval_sim_clusters.py).
    """
    return sum(1 for t in template[1:] if _WORD.fullmatch(t) and t.lower() not in _GLUE) <= max_words


def trend(recent: int, previous: int, up_ratio: float = 1.2, down_ratio: float = 0.8) -> Trend:
    """UP when recent > up_ratio × previous, DOWN when recent < down_ratio × previous, else STABLE.

    A cluster absent from the previous window and present now is UP; absent from both is STABLE.
    """
    if previous == 0:
        return Trend.UP if recent > 0 else Trend.STABLE
    ratio = recent / previous
    if ratio > up_ratio:
        return Trend.UP
    if ratio < down_ratio:
        return Trend.DOWN
    return Trend.STABLE


def template_specificity(template: Sequence[str]) -> float:
    """Share of constant tokens in a template (0 for an empty one)."""
    if not template:
        return 0.0
    return sum(1 for t in template if t != WILDCARD) / len(template)


def cluster_confidence(template: Sequence[str], has_stack: bool, count: int) -> float:
    """Heuristic probability that a cluster's failures share one root cause (before calibration).

    0.5 base, up to +0.25 for a specific template (many constant tokens), +0.15 when a stack
    fingerprint also agrees, +0.05 once the cluster has several members. Uncalibrated until
    feedback accumulates (save_insights calibrates it per kind).
    """
    value = 0.5 + 0.25 * template_specificity(template) + (0.15 if has_stack else 0.0)
    if count >= 3:
        value += 0.05
    return min(value, 0.95)
