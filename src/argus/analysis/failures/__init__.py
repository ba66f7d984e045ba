"""Failure clustering by root cause: masking, template mining, stack fingerprints, trends, novelty.

Layout (see "Where a capability's files go" in docs/development.md): ``schemas`` (typed inputs),
pure modules ``algo``, ``normalise``, ``miner``, ``batch``, ``align``, ``stack``, ``similar``,
``insights``; ``queries`` (read-only SQL), ``readmodels`` (what front doors render) and ``service``,
the only entry point for other analyses (``analyze_failures``, ``cluster_for_result``,
``clusters_for_results``, ``clusters_for_run``, ``list_clusters``, ``get_cluster``). ``evaluate``
scores the miner on Loghub. The use cases are in :mod:`argus.app.failures`.
"""
