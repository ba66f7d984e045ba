"""Re-run the README's install block and docs/ci.md's local dry run, as written, in a fresh clone.

1. ``git clone`` this repository's committed HEAD into a temporary directory;
2. build the wheel there as the README says (``python -m build --wheel``; ``--offline`` builds without
   an isolated environment, with this venv's setuptools);
3. install the wheel into a fresh venv (``--no-deps``; third-party packages come from this venv's
   site-packages through a ``.pth`` path line, so no download) and run ``argus --version``;
4. in a small git project with an ``origin/main`` and a feature branch, run every ``argus`` line of
   docs/ci.md's "Local dry run" block through bash, on a JUnit and a Cobertura report written here.

    .venv/bin/python bench/fresh_clone.py [--offline] [--keep]

Prints one line per step (``ok``/``FAILED``, seconds); exit 1 when a step fails.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
JUNIT = ('<testsuite name="shop.CartTest" tests="2" failures="0">'
         '<testcase classname="shop.CartTest" name="adds_item" time="0.1"/>'
         '<testcase classname="shop.CartTest" name="totals" time="0.2"/></testsuite>\n')
COBERTURA = ('<?xml version="1.0"?>\n<coverage line-rate="0.9" branch-rate="0" version="7.4">'
             '<packages><package name="shop"><classes><class name="cart.py" filename="shop/cart.py" line-rate="0.9">'
             '<lines><line number="1" hits="1"/><line number="2" hits="0"/></lines></class></classes></package>'
             '</packages></coverage>\n')


def step(name: str, cmd: list[str] | str, cwd: Path, env: dict[str, str] | None = None) -> str:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, shell=isinstance(cmd, str),
                          executable="/bin/bash" if isinstance(cmd, str) else None)
    took = time.perf_counter() - start
    if proc.returncode != 0:
        print(f"{name}: FAILED (exit {proc.returncode}, {took:.1f} s)\n{proc.stdout[-1500:]}{proc.stderr[-1500:]}")
        raise SystemExit(1)
    print(f"{name}: ok ({took:.1f} s)")
    return proc.stdout


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com", *args], cwd=cwd,
                   check=True, capture_output=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--offline", action="store_true", help="build without an isolated (downloading) environment")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="argus-fresh-"))
    try:
        clone = tmp / "argus"
        step("git clone", ["git", "clone", "--quiet", str(ROOT), str(clone)], tmp)
        build = [sys.executable, "-m", "build", "--wheel", *(["--no-isolation"] if args.offline else [])]
        step("python -m build --wheel (README)", build, clone)
        wheel = next((clone / "dist").glob("argus_quality-*.whl"))
        venv = tmp / "venv"
        step("fresh venv", [sys.executable, "-m", "venv", "--without-pip", str(venv)], tmp)
        site = subprocess.run([str(venv / "bin" / "python"), "-c",
                               "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                              capture_output=True, text=True, check=True).stdout.strip()
        Path(site, "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
        step(f"pip install {wheel.name} (README)", [sys.executable, "-m", "pip", "--python", str(venv / "bin/python"),
                                                    "install", "--quiet", "--no-deps", str(wheel)], tmp)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ARGUS_", "GITHUB_", "CI", "GITLAB_"))}
        env |= {"PATH": f"{venv / 'bin'}:{env.get('PATH', '')}", "ARGUS_DATABASE_URL": f"sqlite:///{tmp}/argus.db",
                "ARGUS_HOME": str(tmp / "home")}
        version = step("argus --version (README)", ["argus", "--version"], tmp, env)
        assert version.startswith("argus "), version
        # a project with origin/main and a feature branch, as docs/ci.md's dry run assumes
        origin, work = tmp / "origin.git", tmp / "shop"
        git(tmp, "init", "--quiet", "--bare", "-b", "main", str(origin))
        git(tmp, "clone", "--quiet", str(origin), str(work))
        (work / "shop").mkdir()
        (work / "shop" / "cart.py").write_text("def total(x):\n    return x\n")
        git(work, "checkout", "--quiet", "-b", "main")
        git(work, "add", "-A")
        git(work, "commit", "--quiet", "-m", "cart")
        git(work, "push", "--quiet", "origin", "main")
        git(work, "checkout", "--quiet", "-b", "my-feature")
        (work / "shop" / "cart.py").write_text("def total(x):\n    return x * 2\n")
        git(work, "commit", "--quiet", "-am", "double")
        (work / "junit.xml").write_text(JUNIT)
        (work / "coverage.xml").write_text(COBERTURA)
        step("argus db upgrade", ["argus", "db", "upgrade"], work, env)
        doc = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
        block = re.search(r"## Local dry run\n\n```\n(.*?)```", doc, re.S)
        assert block, "docs/ci.md has no Local dry run block"
        for line in block.group(1).splitlines():
            if line.startswith("argus "):
                step(f"docs/ci.md: {line[:60]}…", line, work, env)
        print(f"gate.md written: {(work / 'gate.md').is_file()}")
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
