"""Mine message templates in batches and assign later messages to them incrementally.

Algorithm (batch, after generic masking by :mod:`normalise`), after Brain (Yu et al., ICSE-SEIP
2023, "Brain: Log Parsing with Bidirectional Parallel Tree"), without its per-dataset settings:

1. Messages already matching a known template (same length, equal constant tokens, anything under a
   ``<*>``) join it; a dict of exact masked token sequences makes repeats O(1).
2. The rest are grouped by token count. Within a length group, every (position, token) gets its
   frequency. A message's *anchor* is the set of its tokens sharing the frequency that occurs most
   often among its tokens (ties: the higher frequency) — the longest common pattern of the event.
   Messages with the same anchor form an initial group.
3. Each initial group is split top-down column by column: a column whose tokens are all equal is a
   constant; a column whose tokens were more frequent than the anchor is a constant per message (the
   group splits on it); a less frequent column is a *variable* when it has many distinct values
   (``distinct >= variable_min_distinct``) or when values are mostly one-offs
   (``distinct / rows >= variable_distinct_ratio``) or when its words differ only in their digits
   (``eth0``/``eth1``); otherwise the group splits on it (states, enumerations and short words that
   name different events). The first column may vary only when the group keeps at least
   ``lead_min_words`` other constant words (a program name before a long message) — it usually
   names the event (for test failures, the exception type).
4. Length-tolerant merging (:mod:`align`): templates equal once each run of variables is one
   ``<*>``, or where one template's ``<*>`` covers a multi-token value of the other (``host [<*>]``
   vs ``<*>``), are one event, whatever the token counts.

The mining code is in :mod:`batch`. Templates only ever gain wildcards through mining; they are never re-mined, so an assigned message
keeps its template (incremental: history is never re-clustered).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from argus.analysis.failures.align import absorbs, constant_words, skeleton
from argus.analysis.failures.batch import ENUM_WORD, MinerConfig, Tokens, mine, same_shape, template_of
from argus.analysis.failures.normalise import WILDCARD, normalise

_PUNCT = re.compile(r"[=:,;()\[\]{}|]")

__all__ = ["MinerConfig", "Template", "TemplateMiner", "mine", "render", "template_of"]


@dataclass
class Template:
    """A mined template: tokens with ``<*>`` for variables, how many messages it has absorbed, and
    the template it was merged into (None while it is live)."""

    id: int
    tokens: Tokens
    count: int = 0
    merged_into: int | None = None

    @property
    def text(self) -> str:
        return render(self.tokens)


@dataclass
class TemplateMiner:
    """Batch template mining with incremental assignment (state is plain data: see :meth:`state`).

    Consolidation (see :meth:`_consolidate`): templates mined in different batches merge when the
    later evidence shows a column is a variable — what the batch miner would have decided had it
    seen all those messages at once. :meth:`take_merges` reports (old, new) ids so that callers can
    move stored assignments.
    """

    config: MinerConfig = field(default_factory=MinerConfig)
    templates: dict[int, Template] = field(default_factory=dict)
    _by_len: dict[int, list[Template]] = field(default_factory=lambda: defaultdict(list))
    _exact: dict[Tokens, int] = field(default_factory=dict)
    _by_tokens: dict[Tokens, int] = field(default_factory=dict)
    _families: dict[tuple[int, Tokens], set[int]] = field(default_factory=lambda: defaultdict(set))
    _skeletons: dict[Tokens, int] = field(default_factory=dict)
    _merges: list[tuple[int, int]] = field(default_factory=list)
    _next_id: int = 1

    #: Bound of the exact-sequence cache (entries); it is cleared when full.
    EXACT_CACHE = 200_000

    # -- state -------------------------------------------------------------------------------
    def add_template(
        self,
        tokens: Sequence[str],
        count: int = 0,
        template_id: int | None = None,
        merged_into: int | None = None,
    ) -> Template:
        """Register a template (e.g. loaded from the store); known tokens return the known template."""
        key = tuple(tokens)
        if key in self._by_tokens:
            known = self.templates[self.resolve(self._by_tokens[key])]
            known.count += count
            return known
        tid = template_id if template_id is not None else self._next_id
        self._next_id = max(self._next_id, tid + 1)
        tpl = Template(tid, key, count, merged_into)
        self._by_tokens[key] = tid
        self.templates[tid] = tpl
        if merged_into is None:
            self._by_len[len(key)].append(tpl)
            for fam in self._family_keys(key):
                self._families[fam].add(tid)
            if self.config.merge_skeletons:
                self._skeletons.setdefault(skeleton(key), tid)
        return tpl

    def lookup(self, tokens: Sequence[str]) -> Template | None:
        """The live template standing for exactly ``tokens`` (following merges), or None if unknown."""
        tid = self._by_tokens.get(tuple(tokens))
        return None if tid is None else self.templates[self.resolve(tid)]

    def resolve(self, tid: int) -> int:
        """The live template a (possibly merged) template id now stands for."""
        while (nxt := self.templates[tid].merged_into) is not None:
            tid = nxt
        return tid

    def take_merges(self) -> list[tuple[int, int]]:
        """(merged template id, template it went into) since the last call, oldest first."""
        out, self._merges = self._merges, []
        return out

    def state(self) -> dict[str, Any]:
        """Everything needed to resume: the config and the templates (id, tokens, count, merged_into)."""
        return {
            "config": self.config.as_dict(),
            "templates": [[t.id, list(t.tokens), t.count, t.merged_into] for t in self.templates.values()],
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> TemplateMiner:
        config = dict(state.get("config", {}))
        config["mask_off"] = tuple(config.get("mask_off", ()))
        miner = cls(MinerConfig(**config))
        for tid, tokens, count, merged_into in state.get("templates", []):
            miner.add_template(tokens, count, tid, merged_into)
        return miner

    # -- assignment --------------------------------------------------------------------------
    def match(self, tokens: Tokens) -> Template | None:
        """The live template ``tokens`` fits (most specific first), or None."""
        tid = self._exact.get(tokens)
        if tid is not None:
            return self.templates[self.resolve(tid)]
        best: Template | None = None
        best_consts = -1
        for tpl in self._by_len.get(len(tokens), ()):
            consts = 0
            for a, b in zip(tpl.tokens, tokens, strict=True):
                if a == WILDCARD:
                    continue
                if a != b:
                    break
                consts += 1
            else:
                if consts > best_consts:
                    best, best_consts = tpl, consts
        if best is not None:
            self._remember(tokens, best.id)
        return best

    def _remember(self, tokens: Tokens, tid: int) -> None:
        if len(self._exact) >= self.EXACT_CACHE:
            self._exact.clear()
        self._exact[tokens] = tid

    def add_messages(self, messages: Iterable[str]) -> list[int]:
        """Assign each message a live template id (mining new templates for the unmatched ones)."""
        cfg = self.config
        off = frozenset(cfg.mask_off)
        return self.add_token_lists(
            [tuple(normalise(m, max_chars=cfg.max_chars, mask_off=off)) for m in messages]
        )

    def add_token_lists(self, items: Sequence[Tokens]) -> list[int]:
        """Like :meth:`add_messages` for already normalised token sequences."""
        out: list[int] = [0] * len(items)
        pending: list[int] = []
        for i, toks in enumerate(items):
            tpl = self.match(toks)
            if tpl is None:
                pending.append(i)
            else:
                tpl.count += 1
                out[i] = tpl.id
        if pending:
            created: list[int] = []
            for group in mine([items[i] for i in pending], self.config):
                tokens = template_of([items[pending[j]] for j in group])
                is_new = tokens not in self._by_tokens
                tpl = self.add_template(tokens)
                if is_new:
                    created.append(tpl.id)
                for j in group:
                    tpl.count += 1
                    out[pending[j]] = tpl.id
                    self._remember(items[pending[j]], tpl.id)
            for tid in created:
                self._consolidate(tid)
            out = [self.resolve(t) for t in out]
        return out

    # -- consolidation -----------------------------------------------------------------------
    def _family_keys(self, tokens: Tokens) -> list[tuple[int, Tokens]]:
        enum = self.config.enum_constants
        return [
            (c, (*tokens[:c], WILDCARD, *tokens[c + 1 :]))
            for c in range(1, len(tokens))
            if tokens[c] != WILDCARD
            and not (enum and ENUM_WORD.fullmatch(tokens[c]))
            and not _PUNCT.fullmatch(tokens[c])
        ]

    def _consolidate(self, tid: int) -> None:
        """Merge what a new template ``tid`` makes redundant or decidable.

        1. Live templates that ``tid`` subsumes (it matches them; it has ``<*>`` where they have
           words) merge into it: the batch miner decided that column is a variable.
        2. A family of at least ``variable_min_distinct`` live templates differing in one word column
           (or of two whose words there differ only in their digits) merges into the template with
           ``<*>`` there. (The batch miner's ratio test is not used
           here: counts are tiny when a template is new, and a merge is not undone.)
        """
        tpl = self.templates[tid]
        if tpl.merged_into is not None:
            return
        if self.config.merge_skeletons and self._merge_across_lengths(tpl):
            return
        if WILDCARD in tpl.tokens:
            for other in list(self._by_len[len(tpl.tokens)]):
                if other.id != tid and all(
                    a in (WILDCARD, b) for a, b in zip(tpl.tokens, other.tokens, strict=True)
                ):
                    self._merge(other, tpl)
        for fam in self._family_keys(tpl.tokens):
            members = [
                self.templates[m]
                for m in self._families.get(fam, ())
                if self.templates[m].merged_into is None
            ]
            values = {m.tokens[fam[0]] for m in members}
            digits_only = self.config.digit_shapes and len(values) >= 2 and same_shape(values)
            if len(members) >= max(2, self.config.variable_min_distinct) or digits_only:
                general = self.add_template(fam[1])
                for m in members:
                    if m.id != general.id:
                        self._merge(m, general)
                self._consolidate(general.id)
                return

    def _merge_across_lengths(self, tpl: Template) -> bool:
        """Merge ``tpl`` into a live template of the same event with other token counts (True), or
        templates it stands for into it (see :mod:`align`)."""
        first = self.resolve(self._skeletons.get(skeleton(tpl.tokens), tpl.id))
        if first != tpl.id:
            self._merge(tpl, self.templates[first])
            return True
        words = constant_words(tpl.tokens)
        others = [
            (o, constant_words(o.tokens))
            for n, ts in self._by_len.items()
            if n != len(tpl.tokens)
            for o in ts
        ]
        for other, theirs in others:
            if theirs <= words and absorbs(other.tokens, tpl.tokens):
                self._merge(tpl, other)
                return True
        for other, theirs in others:
            if words <= theirs and absorbs(tpl.tokens, other.tokens):
                self._merge(other, tpl)
        return False

    def _merge(self, old: Template, into: Template) -> None:
        old.merged_into = into.id
        into.count += old.count
        self._by_len[len(old.tokens)].remove(old)
        self._merges.append((old.id, into.id))


def render(tokens: Sequence[str]) -> str:
    """Join tokens back into readable text (no space before ``,;:)]}=`` or after ``([{=``)."""
    out: list[str] = []
    for tok in tokens:
        if out and tok not in (",", ";", ":", ")", "]", "}", "=") and out[-1] not in ("(", "[", "{", "="):
            out.append(" ")
        out.append(tok)
    return "".join(out)
