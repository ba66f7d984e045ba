"""``POST /api/v1/projects/{project}/uploads``: CI report files (any kind Argus reads) plus CI metadata.

The multipart body is parsed as it streams in (python-multipart's push parser): every ``files`` part
is written straight to its own temporary file, so an upload is never held in memory. The request is
refused with 413 as soon as it passes ``ingest.max_upload_bytes`` (or declares more in
``Content-Length``) or ``ingest.max_upload_files`` files; a single file past ``ingest.max_file_bytes``
stops being saved and is rejected like ``argus ingest`` rejects it. The saved files then go to
:func:`argus.app.uploads.store_upload`; the temporary files are removed whatever happens.

Answers: 201 when anything was stored, 200 when every file was already stored (a repeated upload),
422 problem when nothing was stored and a file was rejected; each lists every file, with the reason
of each rejection. The jobs of the stored runs (``app.state.on_upload``, the jobs' dispatcher) are
recorded in the unit of work that stores the test reports (they commit together) and handed to the
workers after the response has been sent (a background task of the request: a graceful shutdown still
waits for it); an upload with coverage or vulnerability files, or a hook without ``record_in``,
records them after the response instead.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import IO, Annotated, Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from starlette.background import BackgroundTask

from argus.api.deps import ProjectAccess, project_access
from argus.api.problems import ApiProblem, problem
from argus.api.routers._read import org_runtime
from argus.app.runtime import qualified
from argus.app.uploads import UploadedFile, UploadRequest, UploadResult, store_upload, upload_metadata
from argus.core.enums import Role
from argus.core.errors import InputError

router = APIRouter(tags=["uploads"])

#: Longest non-file field (CI metadata), in bytes, and most fields.
MAX_FIELD_BYTES = 8 * 1024
MAX_FIELDS = 200

_BODY = {
    "required": True,
    "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["files"],
        "properties": {
            "files": {"type": "array", "items": {"type": "string", "format": "binary"},
                      "description": "Report files: test reports, coverage reports, vulnerability scans "
                                     "(the kind is detected from the content)."},
            "commit": {"type": "string"}, "branch": {"type": "string"}, "run_id": {"type": "string"},
            "job": {"type": "string"}, "job_id": {"type": "string"}, "attempt": {"type": "string"},
            "provider": {"type": "string"}, "url": {"type": "string"}, "pr": {"type": "string"},
            "base": {"type": "string"},
        },
        "additionalProperties": {"type": "string", "description": "env.NAME: extra run context"},
    }}},
}


class _Form:
    """python-multipart callbacks: ``files`` parts to temporary files, other fields to short strings."""

    def __init__(self, folder: Path, max_file_bytes: int, max_files: int) -> None:
        self.folder, self.max_file_bytes, self.max_files = folder, max_file_bytes, max_files
        self.files: list[UploadedFile] = []
        self.fields: list[tuple[str, str]] = []
        self._header_field = b""
        self._header_value = b""
        self._headers: dict[bytes, bytes] = {}
        self._name: str | None = None
        self._filename: str | None = None
        self._out: IO[bytes] | None = None
        self._path: Path | None = None
        self._size = 0
        self._value = bytearray()

    def callbacks(self) -> dict[str, Any]:
        return {"on_part_begin": self.part_begin, "on_part_data": self.part_data, "on_part_end": self.part_end,
                "on_header_field": self.header_field, "on_header_value": self.header_value,
                "on_header_end": self.header_end, "on_headers_finished": self.headers_finished}

    def part_begin(self) -> None:
        self._headers, self._name, self._filename, self._size, self._value = {}, None, None, 0, bytearray()

    def header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def header_end(self) -> None:
        self._headers[self._header_field.lower()] = self._header_value
        self._header_field, self._header_value = b"", b""

    def headers_finished(self) -> None:
        from python_multipart.multipart import parse_options_header

        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        self._name = options.get(b"name", b"").decode("utf-8", "replace")
        filename = options.get(b"filename")
        self._filename = filename.decode("utf-8", "replace") if filename is not None else None
        if self._name == "files":
            if len(self.files) >= self.max_files:
                raise ApiProblem(413, "payload-too-large", f"more than {self.max_files} files (ingest.max_upload_files)")
            self._path = self.folder / f"{len(self.files):05d}"
            self._out = self._path.open("wb")
        elif len(self.fields) >= MAX_FIELDS:
            raise ApiProblem(413, "payload-too-large", f"more than {MAX_FIELDS} form fields")

    def part_data(self, data: bytes, start: int, end: int) -> None:
        n = end - start
        if self._out is not None:
            if self._size <= self.max_file_bytes:  # past the limit: keep counting, stop saving
                self._out.write(data[start : min(end, start + self.max_file_bytes + 1 - self._size)])
            self._size += n
        else:
            if len(self._value) + n > MAX_FIELD_BYTES:
                raise ApiProblem(413, "payload-too-large", f"field {self._name!r} is longer than {MAX_FIELD_BYTES} bytes")
            self._value += data[start:end]

    def part_end(self) -> None:
        if self._out is not None and self._path is not None:
            self._out.close()
            self._out = None
            name = _client_name(self._filename, len(self.files))
            self.files.append(UploadedFile(name, self._path, min(self._size, self.max_file_bytes + 1),
                                           oversize=self._size > self.max_file_bytes))
        elif self._name:
            self.fields.append((self._name, self._value.decode("utf-8", "replace")))

    def close(self) -> None:
        if self._out is not None:
            self._out.close()


def _client_name(filename: str | None, index: int) -> str:
    """The file's name as the client sent it (never a path on this server), or ``upload-N``."""
    name = (filename or "").replace("\x00", "").strip()
    return name[:500] if name else f"upload-{index + 1}"


async def _receive(request: Request, folder: Path) -> _Form:
    from python_multipart.multipart import MultipartParser, parse_options_header

    settings = request.app.state.runtime.settings.ingest
    media, options = parse_options_header(request.headers.get("content-type", ""))
    if media != b"multipart/form-data" or not options.get(b"boundary"):
        raise ApiProblem(415, "unsupported-media-type",
                         "expected multipart/form-data with report files in the 'files' field")
    limit = settings.max_upload_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise ApiProblem(413, "payload-too-large", f"upload of {declared} bytes is above the limit of {limit} bytes "
                                                   "(ingest.max_upload_bytes)")
    form = _Form(folder, settings.max_file_bytes, settings.max_upload_files)
    parser = MultipartParser(options[b"boundary"], form.callbacks())  # type: ignore[arg-type]
    received = 0
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > limit:
                raise ApiProblem(413, "payload-too-large", f"upload is above the limit of {limit} bytes "
                                                           "(ingest.max_upload_bytes)")
            parser.write(chunk)
        parser.finalize()
    except ApiProblem:
        raise
    except Exception as exc:  # python-multipart's errors for a malformed body
        if type(exc).__module__.startswith("python_multipart"):
            raise ApiProblem(400, "bad-multipart", f"malformed multipart body: {exc}") from None
        raise
    finally:
        form.close()
    request.state.upload_bytes = received
    return form


def _files_json(result: UploadResult) -> list[dict[str, Any]]:
    return [{"file": o.file, "status": o.status, "kind": o.kind, "format": o.format, "reason": o.reason,
             "run_id": o.run_id, "report_id": o.report_id, "items": o.items} for o in result.files]


@router.post("/api/v1/projects/{project}/uploads", status_code=201, openapi_extra={"requestBody": _BODY},
             summary="Upload CI report files (tests, coverage, vulnerability scans) with CI metadata",
             responses={200: {"description": "Every file was stored already: nothing stored"},
                        201: {"description": "Stored; lists every file (stored, duplicate, rejected and why)"},
                        413: {"description": "Upload too large"}, 415: {"description": "Not multipart/form-data"},
                        422: {"description": "Nothing stored: bad metadata, no files, or every file rejected"}})
async def upload(request: Request, access: Annotated[ProjectAccess, project_access(Role.UPLOADER)]) -> JSONResponse:
    project, metrics = access.project, request.app.state.metrics
    # 404 before reading the body when there is no such project (the token check read it when it exists)
    if access.known is None:
        await run_in_threadpool(org_runtime(request, access.caller, read_only=True).in_project, project,
                                lambda _s: None)
    folder = Path(tempfile.mkdtemp(prefix="argus-upload-"))
    try:
        form = await _receive(request, folder)
        if not form.files:
            raise InputError("files: at least one report file is required (multipart field 'files')")
        meta = upload_metadata(form.fields)
        # the jobs' dispatcher records the upload's jobs in the upload's own unit of work (see below)
        hook = request.app.state.on_upload
        req = UploadRequest(project, tuple(form.files), meta, org=access.caller.org_slug,
                            on_stored=getattr(hook, "record_in", None))
        result = await run_in_threadpool(store_upload, access.runtime, req)
    finally:
        await run_in_threadpool(shutil.rmtree, folder, True)
    metrics.upload_bytes.inc(sum(f.size for f in form.files))
    for o in result.files:
        if o.status == "ingested" and o.kind:
            metrics.results_ingested.labels(kind=o.kind).inc(o.items or 0)
        elif o.status == "rejected":
            metrics.files_rejected.labels(reason="unrecognised" if o.kind is None else "invalid").inc()
    # the jobs of the stored runs are handed to the workers after the response is sent (the client does
    # not wait for them; the hooks never raise, argus.jobs.dispatch): recorded with the results when the
    # upload's unit of work did it (``result.recorded``), else recorded then
    reference = qualified(access.caller.org_slug, project)
    jobs = None
    if result.recorded is not None:
        jobs = BackgroundTask(hook.hand_over, reference, result.recorded) if result.recorded else None
    elif result.stored:
        jobs = BackgroundTask(hook, reference, result.run_ids)
    body: dict[str, Any] = {
        "project": project, "ci_run_id": result.ci_run_id, "stored": result.stored, "duplicates": result.duplicates,
        "rejected": result.rejected, "results": result.results, "run_ids": list(result.run_ids),
        "files": _files_json(result),
    }
    if not result.stored and result.rejected:
        first = next(o for o in result.files if o.status == "rejected")
        detail = f"nothing stored: {result.rejected} file(s) rejected; {first.file}: {first.reason}"
        return problem(422, "upload-rejected", "Invalid input", detail, request, None, **body)
    return JSONResponse(body, status_code=201 if result.stored else 200, background=jobs)
