"""Git history ingestion: one streaming ``git log``, Kamei JIT features, fix labels and SZZ links.

Entry point: :func:`argus.ingest.git.service.ingest_git`. Modules: ``gitcmd`` (running git),
``logparse`` (the log stream), ``lines`` (blob line counts for LT), ``features`` (Kamei et al. 2013),
``fixes`` (fix detection), ``szz`` and ``labels`` (bug-inducing links), ``writer`` (bulk writes),
``queries`` (reading changes back).
"""
