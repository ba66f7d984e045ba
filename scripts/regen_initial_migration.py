"""Regenerate the initial migration from the models (pre-release only: nothing has shipped yet).

Usage: .venv/bin/python scripts/regen_initial_migration.py
After the first release, schema changes get new, additive migrations instead.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine

VERSIONS = Path(__file__).resolve().parents[1] / "src/argus/store/migrations/versions"


def main() -> None:
    for old in VERSIONS.glob("*.py"):
        old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite:///{tmp}/empty.db")
        cfg = Config()
        cfg.set_main_option("script_location", str(VERSIONS.parent))
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.revision(cfg, message="initial schema", autogenerate=True, rev_id="0001")
    print(f"wrote {next(VERSIONS.glob('0001*.py'))}")


if __name__ == "__main__":
    main()
