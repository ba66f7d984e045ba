"""Start-up: the static command registry matches the modules; `--version`/`--help` import no database code."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import pytest
import typer
from typer.core import TyperGroup

from argus.cli import commands
from argus.cli.app import main
from argus.cli.lazy import scratch_app


def _registered() -> dict[tuple[str, ...], tuple[str, str]]:
    """(path) → (module, first help paragraph) for every command the modules register."""
    found: dict[tuple[str, ...], tuple[str, str]] = {}
    for info in pkgutil.iter_modules(commands.__path__):
        group = typer.main.get_group(scratch_app(info.name))
        for name, cmd in group.commands.items():
            subs = cmd.commands.items() if name in ("ingest", "parse") and isinstance(cmd, TyperGroup) else []
            pairs = [((name, sub), c) for sub, c in subs] or [((name,), cmd)]
            for path, c in pairs:
                found[path] = (info.name, (c.short_help or c.help or "").strip().split("\n\n")[0])
    return found


def test_registry_lists_every_registered_command_with_its_own_help() -> None:
    listed = {(name,): e for name, e in commands.ROOT.items()}
    listed |= {("ingest", name): e for name, e in commands.INGEST.items()}
    listed |= {("parse", name): e for name, e in commands.PARSE.items()}
    registered = _registered()
    missing = sorted(set(registered) - set(listed))
    assert not missing, f"add these to argus/cli/commands/__init__.py: {missing}"
    stale = sorted(set(listed) - set(registered))
    assert not stale, f"listed but registered by no module: {stale}"
    for path, (module, help_line) in registered.items():
        assert (listed[path].module, listed[path].help) == (module, help_line), path


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["ingest", "--help"]])
def test_version_and_help_import_no_database_code(args: list[str]) -> None:
    code = (
        "import sys; from argus.cli.app import main; rc = main(sys.argv[1:]); "
        "heavy = sorted(m for m in ('sqlalchemy', 'alembic', 'numpy', 'argus.store', 'argus.analysis') "
        "if m in sys.modules); print('HEAVY', heavy); sys.exit(rc)"
    )
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "HEAVY []" in proc.stdout, proc.stdout[-400:]


def test_commands_still_run_after_lazy_resolution(capsys: pytest.CaptureFixture[str], cli_env: dict[str, str]) -> None:
    assert main(["db", "upgrade"]) == 0
    assert main(["projects", "list"]) == 0
    assert main(["ingest", "tests", "--help"]) == 0
    assert "Report files" in capsys.readouterr().out


def test_unknown_command_still_suggests_a_close_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gaet"]) == 6
    err = capsys.readouterr().err
    assert "Did you mean 'gate'" in err and err.count("\n") == 1


def test_help_shows_no_bool_placeholders_and_gate_project_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    for args in (["--help"], ["gate", "--help"], ["flaky", "list", "--help"]):
        assert main(args) == 0
        out = capsys.readouterr().out
        assert "<bool>" not in out, args
    main(["gate", "--help"])
    lines = capsys.readouterr().out.splitlines()
    at = next(i for i, ln in enumerate(lines) if "--project" in ln)
    # the help cell may wrap onto the next line of the options panel
    cell = " ".join(ln.strip("│ ").split("<str>")[-1].strip() for ln in lines[at : at + 2])
    assert "Project (default from settings)" in " ".join(cell.split())


def test_console_script_answers_version_without_loading_typer() -> None:
    code = ("import sys, atexit; atexit.register(lambda: print('TYPER', 'typer' in sys.modules)); "
            "sys.argv = ['argus', '--version']; from argus.cli import run; run()")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.splitlines() == ["argus 0.1.0", "TYPER False"], proc.stdout


def test_register_only_wires_module_level_commands() -> None:
    """Commands are module-level functions (a use case per front door); ``register`` only wires them."""
    import ast
    import inspect

    for info in pkgutil.iter_modules(commands.__path__):
        module = __import__(f"argus.cli.commands.{info.name}", fromlist=["register"])
        register = getattr(module, "register", None)
        if register is None:
            continue
        tree = ast.parse(inspect.getsource(register))
        nested = [n.name for n in ast.walk(tree.body[0]) if n is not tree.body[0] and isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
        assert nested == [], f"{info.name}.register defines {nested}: make them module-level functions"


def test_commands_on_a_current_schema_do_not_load_alembic(cli_env: dict[str, str]) -> None:
    """The schema check before a command's first unit of work reads the revision without Alembic (only
    `db upgrade` and a schema behind the code need it): about a third of a small command's start-up."""
    import os

    assert main(["db", "upgrade"]) == 0
    code = ("import sys; from argus.cli.app import main; rc = main(sys.argv[1:]); "
            "print('ALEMBIC', 'alembic' in sys.modules); sys.exit(rc)")
    for args in (["tokens", "create", "--org", "o", "--role", "viewer", "--json"], ["projects", "list"]):
        proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120,
                              env={**os.environ, **cli_env})
        assert proc.returncode == 0, proc.stderr
        assert "ALEMBIC False" in proc.stdout, proc.stdout[-400:]
