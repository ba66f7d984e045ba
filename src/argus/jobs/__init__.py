"""Background jobs: what runs after an upload (failure and flaky analysis), on a schedule (re-analysis
of every project, retention) and how (procrastinate on PostgreSQL, a thread of the server on SQLite).

Every job has a record in ``job_record`` (:class:`argus.store.models.JobRecord`), the single place
its state lives on both databases; see docs/jobs.md.
"""
