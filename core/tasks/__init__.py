"""User tasks: a user's long request (a portfolio projection, a big CSV import) run in the
background of the API process that took it, followed by polling from any process.

- `records`: the `user_task` rows (start, progress, outcome, the reaper) and `TaskRead`.
- `runner`: `UserTasks`, one per API process: its thread pool (each thread waits while its
  task's work runs in a work process: core.db.work_processes), and one thread that writes
  the live tasks' progress and heartbeats in short units of work and reaps dead ones.
- `portfolio`: the use cases started as tasks (`start_projection`, `start_import`).
"""
