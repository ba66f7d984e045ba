"""Alert receivers' parsers: one module per source, each raw payload → :class:`~.model.Parsed`.

The parsers are pure (no database); :func:`argus.ingest.alerts.parse.parse_payload` dispatches on the
source, :mod:`argus.ingest.alerts.signatures` verifies the sources' webhook signatures.
"""
