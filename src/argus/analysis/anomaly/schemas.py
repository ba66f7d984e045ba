"""Typed inputs and outputs of anomaly scoring, and the parameters with their documented defaults."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt


class Season(StrEnum):
    """Which calendar bucket a seasonal baseline compares a point with."""

    NONE = "none"
    HOUR_OF_DAY = "hour_of_day"
    HOUR_OF_WEEK = "hour_of_week"


class Detector(StrEnum):
    """The detectors Argus can run; ``ensemble`` is the default and the one that alerts."""

    SEASONAL = "seasonal"
    LIKELIHOOD = "likelihood"
    EXTREME = "extreme"
    SPIKE_RULE = "spike_rule"
    THREE_SIGMA = "three_sigma"
    ENTROPY = "entropy"
    CAD_OSE = "cad_ose"
    SHIFT = "shift"
    ENSEMBLE = "ensemble"


class Severity(StrEnum):
    """Severity of the seed's spike rule: value above 2x / 3x / 5x the rolling mean."""

    NONE = "none"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


@dataclass(frozen=True)
class Series:
    """A metric series in time order: ``timestamps`` as ``datetime64[s]`` and float ``values``.

    Timestamps may be irregular (gaps, jitter); they must not go backwards.
    """

    timestamps: npt.NDArray[np.datetime64]
    values: npt.NDArray[np.float64]

    def __len__(self) -> int:
        return int(self.values.shape[0])

    def head(self, n: int) -> Series:
        """The first ``n`` points (used to prove causality: scores of a prefix == prefix of scores)."""
        return Series(self.timestamps[:n], self.values[:n])


@dataclass(frozen=True)
class SeasonalParams:
    """Robust seasonal residual: median/MAD of the same calendar bucket's recent past values."""

    season: Season = Season.HOUR_OF_DAY
    history: int = 32
    """How many past values of the same bucket the median/MAD use (the most recent ones)."""
    min_history: int = 6
    """Below this many past values in the bucket the score is 0 (not enough baseline)."""
    min_scale_fraction: float = 0.01
    """Floor of the MAD scale as a fraction of the series' running range (flat series stay quiet)."""
    short_window: int = 10
    long_window: int = 2880
    min_history_calibration: int = 60
    """The residual is judged against its own recent history (see ``LikelihoodParams``)."""


@dataclass(frozen=True)
class LikelihoodParams:
    """Streaming detector in the spirit of Numenta's windowed Gaussian + anomaly likelihood.

    Raw score: distance of the value from the mean of the previous ``window`` rows in their standard
    deviations. Likelihood: the mean raw score of the last ``short_window`` rows judged against the
    mean/std of raw scores over the previous ``long_window`` rows (Gaussian tail).
    """

    window: int = 100
    short_window: int = 10
    long_window: int = 2880
    min_history: int = 60


@dataclass(frozen=True)
class ExtremeParams:
    """A value beyond every value of the previous ``window`` rows by ``margin`` × their range.

    ``window`` = 2,880 is 10 days of 5-minute points; 0 means all earlier rows.
    """

    window: int = 2880
    min_history: int = 150
    margin: float = 0.05


@dataclass(frozen=True)
class EntropyParams:
    """Windowed distribution change (in the spirit of NAB's "relative entropy" detector).

    Each row is put in one of ``bins`` equal-width bins of the range of the previous ``range_window``
    rows (at its arrival, causally); the histogram of the last ``window`` rows is compared with the
    histogram of the ``reference_window`` rows before them by relative entropy (KL divergence), and
    that divergence is judged against its own history (as ``LikelihoodParams``).
    """

    bins: int = 8
    window: int = 50
    reference_window: int = 1000
    range_window: int = 2880
    short_window: int = 1
    long_window: int = 2880
    min_history: int = 150


@dataclass(frozen=True)
class ShiftParams:
    """Multi-scale level shift: the mean of the last ``k`` rows against the mean/std of the ``window``
    rows before them, for each ``k`` in ``scales``; each scale's distance (in those rows' standard
    deviations) is judged against its own history (as ``LikelihoodParams``), the scales are combined
    by Bonferroni, and the member's tail is multiplied by ``weight`` (a less eager member: 10 = it
    needs ten times the evidence of the others to decide the ensemble)."""

    scales: tuple[int, ...] = (30, 100)
    window: int = 1000
    min_reference: int = 10
    """Below this many rows in the reference window the scale answers 0 (nothing to judge against)."""
    long_window: int = 2880
    min_history: int = 60
    weight: float = 10.0


@dataclass(frozen=True)
class CadParams:
    """Contextual Anomaly Detector, open-source edition (``analysis/anomaly/cad.py``); NAB's settings
    except the causal range and a fixed rest period. ``decades`` maps its score to the ensemble's tail
    probability: ``p = 10^(-decades · score)``."""

    value_bits: int = 3
    max_left_semi_contexts: int = 7
    max_active_neurons: int = 15
    base_threshold: float = 0.75
    rest_period: int = 150
    min_history: int = 150
    decades: float = 6.0


@dataclass(frozen=True)
class SpikeRuleParams:
    """The seed's rule: value > ``factor`` × the mean of the previous ``window_seconds`` (1 h)."""

    window_seconds: int = 3600
    low: float = 2.0
    medium: float = 3.0
    high: float = 5.0


@dataclass(frozen=True)
class ThreeSigmaParams:
    """The seed's 3-sigma rule over the previous ``window`` rows."""

    window: int = 288
    sigmas: float = 3.0
    min_history: int = 30


class PostProcess(StrEnum):
    """What happens to the ensemble's combined tail probability before the hold-off."""

    NONE = "none"
    LIKELIHOOD = "likelihood"
    """Numenta's anomaly likelihood of the ensemble's evidence (see :class:`PostLikelihoodParams`)."""


class LikelihoodCombine(StrEnum):
    """How the anomaly likelihood ``p_L`` meets the ensemble's combined tail ``p`` (issue 20 attempts)."""

    REPLACE = "replace"
    """``p_L`` alone (Numenta's way: the likelihood *is* the score)."""
    AND = "and"
    """``max(p, p_L)``: both must find the row unusual."""
    OR = "or"
    """``min(1, 2 min(p, p_L))``: either (Bonferroni)."""
    GEOMETRIC = "geometric"
    """``sqrt(p · p_L)``."""
    MEMBERS = "members"
    """The likelihood of each member's own evidence replaces that member's ``p``, then Bonferroni."""
    EXTREME_OR = "extreme_or"
    """Only the *extreme* member (the one without self-calibration): ``min(1, 2 min(p, p_L))``."""
    EXTREME_AND = "extreme_and"
    """Only the *extreme* member: ``max(p, p_L)``."""


@dataclass(frozen=True)
class PostLikelihoodParams:
    """Numenta's *anomaly likelihood* as a post-processor of the ensemble (NAB's defaults).

    Raw score: the ensemble's evidence ``-log10(k · min p) / evidence_decades`` clipped to
    ``[0, raw_cap]`` (``evidence_decades`` = 0: the ensemble's score ``1 - k · min p`` itself, as
    Numenta feeds HTM's raw score in [0, 1]). Its mean over the last ``short_window`` rows is judged against the mean and
    variance of those means over the last ``historic_window`` rows, re-estimated every
    ``reestimation_period`` rows; the first estimate is made after ``learning_period`` +
    ``estimation_samples`` rows (before it: no alert), and the first ``learning_period`` rows of the
    window are left out of the fit, as Numenta does. Mean and variance floors (0.03, 0.0003) are
    Numenta's. ``p`` is the upper Gaussian tail.
    """

    learning_period: int = 288
    estimation_samples: int = 100
    historic_window: int = 8640
    reestimation_period: int = 100
    short_window: int = 10
    evidence_decades: float = 10.0
    raw_cap: float = 1.0
    min_mean: float = 0.03
    min_variance: float = 0.0003
    combine: LikelihoodCombine = LikelihoodCombine.REPLACE


@dataclass(frozen=True)
class EnsembleParams:
    """How the detectors are combined into one anomaly probability, and when Argus alerts.

    The probability is ``1 - min(1, k * min_i p_i)``: the Bonferroni-combined tail probability ``p_i``
    of the ``k`` member detectors (each a Gaussian tail of its own statistic), so it reads as "how sure
    are we that no member's baseline explains this point". ``holdoff`` rows after an alert are damped
    (one alert per incident, not one per row).
    """

    members: tuple[Detector, ...] = (Detector.SEASONAL, Detector.LIKELIHOOD, Detector.EXTREME, Detector.SHIFT)
    threshold: float = 0.9999
    holdoff_fraction: float = 0.02
    """Rows damped after an alert, as a fraction of the rows seen so far (clamped to the two bounds)."""
    holdoff_min: int = 12
    holdoff_max: int = 400
    damping: float = 0.5
    """Scores inside a hold-off are multiplied by this (they can still rank, but not alert)."""
    probation: int = 0
    """Rows at the start that never alert (0: derive from the series, see :func:`probation_rows`)."""
    post: PostProcess = PostProcess.NONE
    post_likelihood: PostLikelihoodParams = field(default_factory=PostLikelihoodParams)


@dataclass(frozen=True)
class AnomalyParams:
    """All parameters of anomaly scoring (each detector's and the ensemble's)."""

    seasonal: SeasonalParams = field(default_factory=SeasonalParams)
    likelihood: LikelihoodParams = field(default_factory=LikelihoodParams)
    extreme: ExtremeParams = field(default_factory=ExtremeParams)
    entropy: EntropyParams = field(default_factory=EntropyParams)
    cad: CadParams = field(default_factory=CadParams)
    shift: ShiftParams = field(default_factory=ShiftParams)
    spike_rule: SpikeRuleParams = field(default_factory=SpikeRuleParams)
    three_sigma: ThreeSigmaParams = field(default_factory=ThreeSigmaParams)
    ensemble: EnsembleParams = field(default_factory=EnsembleParams)


@dataclass(frozen=True)
class Scores:
    """Per-row output: ``score`` in [0, 1] (anomaly probability) and ``alert`` (score >= threshold)."""

    detector: Detector
    score: npt.NDArray[np.float64]
    alert: npt.NDArray[np.bool_]
    threshold: float


@dataclass(frozen=True)
class SpikeRuleResult:
    """The seed's spike rule per row: ratio to the rolling mean and the severity it earns."""

    ratio: npt.NDArray[np.float64]
    severity: tuple[Severity, ...]


@dataclass(frozen=True)
class GateParams:
    """The seed's 3-gate filter: an anomaly pages a person only when all three gates pass."""

    baseline_min_days: float = 7.0
    predictable_max_alert_share: float = 0.02
    impact_min_fraction: float = 0.2
    capacity_warn_fraction: float = 0.8
    capacity_headroom: float = 1.2
    breach_probability: float = 0.8
    baseline_rows: int = 2880
    """Points before the anomaly that form the baseline shown as its evidence (the extreme window)."""
    window_rows: int = 10
    """Points ending at the anomaly shown as the judged window (the detectors' short window)."""


@dataclass(frozen=True)
class Baseline:
    """Robust statistics of the points a value was judged against."""

    first: str
    last: str
    count: int
    median: float
    mad: float
    low: float
    high: float


@dataclass(frozen=True)
class Gates:
    """The three gates of one anomaly and what each measured."""

    baseline_days: float
    baseline_old_enough: bool
    alert_share: float
    predictable: bool
    impact: bool
    impact_words: str

    @property
    def passed(self) -> int:
        return int(self.baseline_old_enough) + int(self.predictable) + int(self.impact)


@dataclass(frozen=True)
class AnomalyFinding:
    """One alerting point of a stored series, the window it ends and the baseline it was judged against."""

    series_key: str
    at: str
    value: float
    score: float
    detector: str
    window_times: tuple[str, ...]
    window_values: tuple[float, ...]
    baseline: Baseline
    gates: Gates
    limit: float | None = None
