"""Anomalies on CI and service metrics: is this point of a ``timestamp,value`` series outside its normal range?

Pure and database-free: :mod:`.schemas` (series, scores, parameters), :mod:`.baselines` (causal rolling
and seasonal statistics), :mod:`.detectors` (robust seasonal residual, streaming likelihood, the seed's
rules) and :mod:`.ensemble` (the calibrated anomaly probability and Argus's alert). Every score of row
``t`` uses rows ``<= t`` only (causal), so scoring a prefix gives the prefix of the scores.
"""
