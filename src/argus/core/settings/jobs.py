"""Settings of background jobs and retention (``[jobs]``, ``ARGUS_JOBS__*``)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class RetentionSettings(BaseModel):
    """How long each kind of data is kept (days; ``None`` keeps it forever).

    Defaults are the seed's: episodic history (test runs and everything attached to them: results,
    reports, coverage, vulnerability scans) 90 days (S0-22, "configurable"); derived knowledge
    (insights) deleted at 3 years (S2-63 "delete at 3 yr"); operational records (dead letters and
    finished job records) kept for the 30-day "hot" tier (S2-63).
    """

    test_runs_days: int | None = Field(90, ge=1, description="Test runs with their results, reports, coverage and scans.")
    insights_days: int | None = Field(1095, ge=1, description="Insights (with evidence and feedback) by creation time.")
    dead_letters_days: int | None = Field(30, ge=1, description="Rejected inputs, by last time seen.")
    job_records_days: int | None = Field(30, ge=1, description="Finished (succeeded) job records.")
    batch_size: int = Field(500, ge=1, description="Rows deleted per transaction.")


class JobSettings(BaseModel):
    """Background jobs: retries, schedules, and where they run."""

    max_attempts: int = Field(5, ge=1, description="Tries of a job before it is dead-lettered (state failed).")
    backoff_base_s: float = Field(2.0, ge=0, description="Wait before the first retry; doubles on every retry.")
    backoff_max_s: float = Field(600.0, ge=0, description="Longest wait between two tries.")
    reanalyze_cron: str = Field("0 3 * * *", description="When every project is re-analysed (cron, UTC).")
    retention_cron: str = Field("30 3 * * *", description="When retention runs for every project (cron, UTC).")
    lease_s: float = Field(
        300.0, ge=1, description="A running job's lease: the worker's heartbeat renews it every third of it; "
        "a job whose lease ran out (its worker was killed) is reclaimed: retried, or failed after its last try.",
    )
    reclaim_cron: str = Field("* * * * *", description="When workers look for jobs whose lease ran out (cron, UTC).")
    score_cron: str = Field("*/15 * * * *", description="When every project's new metric points are scored "
                            "for anomalies (cron, UTC).")
    notify_cron: str = Field("* * * * *", description="When incident notifications are sent: escalations of "
                             "unacknowledged incidents queued, due messages (quiet hours over, retries) delivered "
                             "(cron, UTC; only when channels are configured).")
    queue: str = Field("argus", description="procrastinate queue name (PostgreSQL).")
    in_process: bool = Field(
        True, description="On SQLite, run jobs in a thread of the server after the upload returns "
        "(off: leave them queued for `argus worker`).",
    )
    retention: RetentionSettings = RetentionSettings()
