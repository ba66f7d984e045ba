"""Content hashing for idempotent ingestion."""

from __future__ import annotations

import hashlib
from pathlib import Path

_CHUNK = 1 << 20


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    """Hash a file in 1 MiB chunks (constant memory)."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def token_hash(secret: str) -> str:
    """Hash an API token secret; only this is stored."""
    return hashlib.sha256(("argus-token:" + secret).encode()).hexdigest()
