"""Failure clustering by root cause: masking, template mining, stack fingerprints, trends, novelty.

Entry points for other analyses live in :mod:`argus.analysis.failures.service`
(``analyze_failures``, ``cluster_for_result``, ``clusters_for_run``, ``list_clusters``, ``get_cluster``).
"""
