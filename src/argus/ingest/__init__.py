"""Ingestion: one package per source (parser raw -> typed DTO, service validate/dedup/persist).

Shared pieces: :mod:`argus.ingest.ci_env` (CI metadata and the run a report belongs to) and
:mod:`argus.ingest.deadletter` (recording a rejected input).
"""
