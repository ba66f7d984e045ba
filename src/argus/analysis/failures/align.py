"""Length-tolerant template comparison: a variable may stand for several tokens.

A log statement prints one template, but a value may take a varying number of tokens (``<1 sec`` /
``00:01``, ``host [10.0.0.1]`` / ``10.0.0.1``, ``Teams.exe *64`` / ``chrome.exe``), so one event
shows up as token sequences of different lengths. Two rules, both independent of any log source:

- :func:`skeleton`: a template with each run of variables as one ``<*>``; templates with equal
  skeletons are one event.
- :func:`absorbs`: a template whose each ``<*>`` may stand for 1..``max_span`` tokens matches
  another template, where every span of more than one token contains a variable itself and no
  plain word, ``=`` or other punctuation than brackets (a value with inner structure: ``host
  [<*>]``, ``Teams.exe *<*>``; never extra words or an extra ``key=value``), and the general
  template keeps at least ``min_words`` constant words (``<*> failed`` absorbs nothing).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from argus.analysis.failures.normalise import WILDCARD, collapse

Tokens = tuple[str, ...]

#: A token that is a variable with punctuation around it (``/<*>``, ``#<*>``, ``*<*>``).
_WILD_PUNCT = re.compile(r"[^\w\s]*<\*>[^\w\s]*")
_WORD = re.compile(r"\w")
#: Tokens that are constants even inside a multi-token value: plain words, and punctuation other
#: than brackets (``=`` of a key, ``****`` of a marker, ``:`` and ``,`` of a list).
_PLAIN = re.compile(r"[A-Za-z_-]+|[^\w\s()\[\]{}<>]+")


def is_variable(token: str) -> bool:
    """True for ``<*>`` and for a variable wrapped in punctuation (``/<*>``, ``*<*>``)."""
    return token == WILDCARD or (WILDCARD in token and _WILD_PUNCT.fullmatch(token) is not None)


@lru_cache(maxsize=65_536)
def skeleton(tokens: Tokens) -> Tokens:
    """The template with each run of variables (and ``<*> (<*>)``) as one ``<*>``."""
    return tuple(collapse([WILDCARD if is_variable(t) else t for t in tokens]))


@lru_cache(maxsize=65_536)
def constant_words(tokens: Tokens) -> frozenset[str]:
    """The tokens that are neither variables nor pure punctuation."""
    return frozenset(t for t in tokens if not is_variable(t) and _WORD.search(t))


def absorbs(
    general: Sequence[str], specific: Sequence[str], *, max_span: int = 5, min_words: int = 2
) -> bool:
    """True when ``general`` (its ``<*>`` standing for 1..``max_span`` tokens) matches ``specific``.

    A ``<*>`` spanning more than one token must cover a variable of ``specific`` (see the module
    docstring). Dynamic programming over (pattern position, token position).
    """
    pat = skeleton(general)
    words = constant_words(pat)
    if len(words) < min_words or len(pat) > len(specific) or not words <= constant_words(specific):
        return False
    n, m = len(pat), len(specific)
    wild = [is_variable(t) for t in specific]
    plain = [_PLAIN.fullmatch(t) is not None for t in specific]
    # reach[i] = set of token positions j such that pat[:i] matches specific[:j]
    reach: list[set[int]] = [set() for _ in range(n + 1)]
    reach[0].add(0)
    for i, p in enumerate(pat):
        for j in reach[i]:
            if p != WILDCARD:
                if j < m and specific[j] == p:
                    reach[i + 1].add(j + 1)
                continue
            for k in range(1, min(max_span, m - j) + 1):
                if k > 1 and plain[j + k - 1]:
                    break  # a longer span holds this word too
                if k > 1 and not any(wild[j : j + k]):
                    continue
                reach[i + 1].add(j + k)
        if not reach[i + 1]:
            return False
    return m in reach[n]
