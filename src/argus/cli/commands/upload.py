"""``argus upload``: send CI report files to an Argus server (no database in the CI job).

The CI metadata is read from the environment exactly like ``argus ingest`` (GitHub Actions, GitLab CI,
Jenkins, CircleCI, Buildkite, Azure Pipelines, else git), flags override it. Files are streamed from
disk (httpx reads them in chunks). A connection error, a timeout, a 5xx or a 429 is retried with
exponential backoff (and ``Retry-After``): the server stores each file once per run and content, so a
retry of an upload that was stored already answers 200 and stores nothing. Any other refusal ends
the command with one line and an exit code: 401/403 → 2 (configuration: the token), 404 → 5 (not
found), 400/413/415/422 → 6 (bad input), server unreachable after the retries → 3. A file the server
rejected (unknown content, hostile or corrupt XML …) is named on stderr and exits 6, like ``argus
ingest``.
"""

from __future__ import annotations

import glob
import os
import random
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from argus.cli.context import state
from argus.cli.output import console, print_json
from argus.cli.validate import as_attempt, ci_text, commit_sha, env_pairs
from argus.cli.validate import attempt as attempt_cb
from argus.core.errors import ArgusError, ConfigError, DatabaseUnavailableError, InputError, NotFoundError

if TYPE_CHECKING:
    import httpx

    from argus.cli.app import CommandGroups

#: File endings taken from a directory argument (files named explicitly are sent whatever their name).
UPLOAD_SUFFIXES = (".xml", ".trx", ".json", ".info", ".lcov")
#: HTTP statuses worth another try (the upload is idempotent).
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
#: Longest wait between tries, in seconds (also caps a server's ``Retry-After``).
MAX_BACKOFF_S = 30.0


class ServerUnavailableError(DatabaseUnavailableError):
    """The server could not be reached, or kept failing, after every try (exit 3: the store is unavailable)."""


def _expand(patterns: list[str]) -> list[Path]:
    """Files from names, directories (their report files, recursively) and globs (``**`` allowed)."""
    seen: dict[Path, None] = {}
    for pattern in patterns:
        path = Path(pattern)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in UPLOAD_SUFFIXES)
        elif glob.has_magic(pattern):
            found = sorted(Path(p) for p in glob.glob(pattern, recursive=True) if Path(p).is_file())
            if not found:
                raise InputError(f"{pattern}: no file matches")
        else:
            if not path.is_file():
                raise InputError(f"{pattern}: {'not a regular file' if path.exists() else 'file does not exist'}")
            found = [path]
        for p in found:
            seen.setdefault(p, None)
    if not seen:
        raise InputError("no report files to upload")
    return list(seen)


def _server(url: str | None) -> str:
    if not url:
        raise ConfigError("no server: pass --server URL or set ARGUS_SERVER_URL")
    url = url.strip().rstrip("/")
    if not url.startswith(("http://", "https://")) or len(url) < 10 or any(c.isspace() for c in url):
        raise InputError(f"--server {url[:80]!r}: expected an http:// or https:// URL")
    return url


def _detail(resp: httpx.Response) -> str:
    try:
        body = resp.json()
    except ValueError:
        return resp.text.strip().splitlines()[0][:300] if resp.text.strip() else resp.reason_phrase
    return str(body.get("detail") or body.get("title") or resp.reason_phrase) if isinstance(body, dict) else ""


def _refusal(resp: httpx.Response, server: str, project: str) -> ArgusError:
    """The one-line error of a response that is not worth another try."""
    detail = _detail(resp)
    status = resp.status_code
    if status == 401:
        return ConfigError(f"{server} refused the token (401): {detail}; pass --token or set ARGUS_TOKEN")
    if status == 403:
        return ConfigError(f"{server} refused the upload (403): {detail}")
    if status == 404:
        return NotFoundError(f"{server}: project {project!r} not found for this token (404): {detail}")
    if status in (400, 413, 415, 422):
        return InputError(f"{server} refused the upload ({status}): {detail}")
    return ArgusError(f"{server} answered {status}: {detail}")


def _wait(attempt: int, resp: httpx.Response | None) -> float:
    """Seconds before try ``attempt + 1``: exponential with jitter, or the server's ``Retry-After``."""
    if resp is not None:
        after = resp.headers.get("retry-after", "")
        if after.isdigit():
            return min(float(after), MAX_BACKOFF_S)
    return float(min(MAX_BACKOFF_S, 0.5 * 2 ** (attempt - 1)) * (0.5 + random.random() / 2))


def send_upload(server: str, project: str, token: str, files: list[Path], fields: list[tuple[str, str]],
                *, tries: int, timeout: float, on_retry: Any = None, client: httpx.Client | None = None,
                ) -> httpx.Response:
    """POST the files (streamed) and fields; retry what is worth it; return the final response (2xx or a
    refusal), or raise :class:`ServerUnavailableError` when every try failed to get an answer.

    ``client``: an HTTP client to reuse (connections kept alive; a load generator sending many uploads
    would otherwise build a client, with its TLS context, per upload); default: one per call."""
    import httpx

    post = client.post if client is not None else httpx.post

    url = f"{server}/api/v1/projects/{project}/uploads"
    headers = {"Authorization": f"Bearer {token}", "User-Agent": "argus-upload"}
    problem = ""
    for attempt in range(1, tries + 1):
        handles = [p.open("rb") for p in files]
        resp: httpx.Response | None = None
        try:
            parts = [("files", (str(p), fh, "application/octet-stream")) for p, fh in zip(files, handles, strict=True)]
            resp = post(url, headers=headers, data=dict(fields), files=parts, timeout=timeout)
            if resp.status_code not in RETRY_STATUSES:
                return resp
            problem = f"{resp.status_code} {_detail(resp)}"
        except httpx.TransportError as exc:
            problem = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        finally:
            for fh in handles:
                fh.close()
        if attempt < tries:
            delay = _wait(attempt, resp)
            if on_retry is not None:
                on_retry(attempt, problem, delay)
            time.sleep(delay)
    raise ServerUnavailableError(f"{server}: upload failed after {tries} tries: {problem}")


def upload(
    ctx: typer.Context,
    paths: list[str] = typer.Argument(..., help="Report files, directories or globs (quote ** globs)."),
    server: str | None = typer.Option(None, "--server", envvar="ARGUS_SERVER_URL", show_envvar=True,
                                      help="Base URL of the Argus server."),
    token: str | None = typer.Option(None, "--token", envvar="ARGUS_TOKEN", show_envvar=True,
                                     help="API token (role uploader or higher)."),
    project: str | None = typer.Option(None, "--project", "-p", help="Project (default from settings)."),
    commit: str | None = typer.Option(None, "--commit", callback=commit_sha, help="Commit SHA (default: CI environment or git HEAD)."),
    branch: str | None = typer.Option(None, "--branch", callback=ci_text("--branch"), help="Branch (default: CI environment or git)."),
    run_id: str | None = typer.Option(None, "--run-id", callback=ci_text("--run-id"), help="CI run id; reports with the same id share a run."),
    job: str | None = typer.Option(None, "--job", callback=ci_text("--job"), help="CI job name."),
    attempt: str | None = typer.Option(None, "--attempt", callback=attempt_cb, metavar="N", help="CI attempt (retry) number."),
    pr: str | None = typer.Option(None, "--pr", callback=ci_text("--pr"), help="Pull/merge request number."),
    base: str | None = typer.Option(None, "--base", callback=ci_text("--base"), help="Base branch of the pull request."),
    env: list[str] = typer.Option([], "--env", help="Extra run context KEY=VALUE (repeatable)."),
    tries: int = typer.Option(5, "--tries", min=1, max=20, help="Tries on connection errors, 5xx and 429."),
    timeout: float = typer.Option(120.0, "--timeout", min=1.0, max=3600.0, help="Seconds per try."),
    json_out: bool = typer.Option(False, "--json", help="Print the server's answer as JSON."),
) -> None:
    """Upload report files to an Argus server (tests, coverage, vulnerability scans; retried safely)."""
    from argus.app.uploads import metadata_fields
    from argus.ingest.ci_env import resolve_ci_metadata

    base_url = _server(server)
    if not token or not token.strip():
        raise ConfigError("no token: pass --token or set ARGUS_TOKEN (argus tokens create --role uploader)")
    files = _expand(paths)
    slug = project or state(ctx).settings.default_project
    meta = resolve_ci_metadata(os.environ, Path.cwd(), commit_sha=commit, branch=branch, run_id=run_id, job=job,
                               attempt=as_attempt(attempt), environment=env_pairs(env))
    fields = metadata_fields(meta) + [(k, v) for k, v in (("pr", pr), ("base", base)) if v]
    err = console(stderr=True)

    def retrying(n: int, problem: str, delay: float) -> None:
        err.print(f"retrying in {delay:.1f}s (try {n} failed: {problem})", markup=False, highlight=False,
                  soft_wrap=True)

    resp = send_upload(base_url, slug, token.strip(), files, fields, tries=tries, timeout=timeout,
                       on_retry=retrying)
    rejected_only = resp.status_code == 422 and resp.headers.get("content-type", "").startswith(
        "application/problem+json") and isinstance(_body(resp).get("files"), list)
    if resp.status_code not in (200, 201) and not rejected_only:
        raise _refusal(resp, base_url, slug)
    body = _body(resp)
    if json_out:
        print_json(body)
    else:
        _print_summary(body, base_url, slug)
    if body.get("rejected"):
        raise typer.Exit(InputError.exit_code)


def _body(resp: httpx.Response) -> dict[str, Any]:
    try:
        body = resp.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _print_summary(body: dict[str, Any], server: str, project: str) -> None:
    out, err = console(), console(stderr=True)
    for f in body.get("files", []):
        status, name = f.get("status"), f.get("file")
        if status == "rejected":
            err.print(f"rejected: {name}: {f.get('reason')}", markup=False, highlight=False, soft_wrap=True)
        else:
            what = f"{f.get('kind')}" + (f" {f['format']}" if f.get("format") else "")
            out.print(f"{status}: {name} ({what})", markup=False, highlight=False, soft_wrap=True)
    run = f"CI run {body['ci_run_id']}" if body.get("ci_run_id") else "runs " + ", ".join(
        f"#{r}" for r in body.get("run_ids", [])) if body.get("run_ids") else "no new run"
    out.print(f"{body.get('stored', 0)} stored ({body.get('results', 0)} results), {body.get('duplicates', 0)} "
              f"already stored, {body.get('rejected', 0)} rejected; project {project} on {server}, {run}",
              markup=False, highlight=False, soft_wrap=True)


def register(root: typer.Typer, groups: CommandGroups) -> None:
    root.command("upload")(upload)
