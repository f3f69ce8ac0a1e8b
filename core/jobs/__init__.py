"""Background jobs: the registry of jobs, locks, the runner, Celery fan-out and the scheduler."""
