"""Related templates by character n-gram TF-IDF cosine (the default, dependency-free similarity).

Templates the miner keeps apart (different token counts, a reworded message) can still describe
one root cause. Character 3-grams of the template text (wildcards and digits removed, lower case),
weighted by smoothed IDF over the project's templates, compared by cosine. LIBRARY-NOTES measured
this ranking as well as MiniLM embeddings on "same root cause, shared words" pairs; it loses on
paraphrases without shared words. Used to *suggest* related clusters, never to merge them.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

_STRIP = re.compile(r"<\*>|\d+")
_SPACE = re.compile(r"\s+")


def ngrams(text: str, n: int = 3) -> Counter[str]:
    """Character n-grams of ``text`` without wildcards or digits, lower-cased, space-padded."""
    clean = " " + _SPACE.sub(" ", _STRIP.sub(" ", text.lower())).strip() + " "
    return Counter(clean[i : i + n] for i in range(max(len(clean) - n + 1, 0)))


def tfidf(texts: Sequence[str], n: int = 3) -> list[dict[str, float]]:
    """Unit-length TF-IDF vectors (IDF = ln((1 + N) / (1 + df)) + 1, as scikit-learn's smooth IDF)."""
    grams = [ngrams(t, n) for t in texts]
    df: Counter[str] = Counter()
    for g in grams:
        df.update(g.keys())
    total = len(texts)
    out: list[dict[str, float]] = []
    for g in grams:
        vec = {k: c * (math.log((1 + total) / (1 + df[k])) + 1) for k, c in g.items()}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        out.append({k: v / norm for k, v in vec.items()})
    return out


def cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(v * b.get(k, 0.0) for k, v in a.items())


def most_similar(
    texts: Sequence[str], target: int, *, k: int = 5, min_similarity: float = 0.5
) -> list[tuple[int, float]]:
    """Indices of up to ``k`` texts most similar to ``texts[target]`` (cosine ≥ ``min_similarity``)."""
    vecs = tfidf(texts)
    scored = [(i, cosine(vecs[target], v)) for i, v in enumerate(vecs) if i != target]
    scored = [(i, s) for i, s in scored if s >= min_similarity]
    return sorted(scored, key=lambda x: (-x[1], x[0]))[:k]
