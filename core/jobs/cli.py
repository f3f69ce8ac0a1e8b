"""`python -m core jobs list | jobs run NAME [--arg k=v …]`, `python -m core scheduler`,
`python -m core worker`."""

from __future__ import annotations

import argparse

from core.config import get_settings
from core.db.session import session_scope
from core.errors import InvalidInputError
from core.jobs.celery_app import default_app
from core.jobs.dispatch import dispatch_job
from core.jobs.runner import run_job
from core.jobs.scheduler import run_scheduler
from core.jobs.service import list_job_runs, list_jobs


def register(subparsers: argparse._SubParsersAction) -> None:
    jobs = subparsers.add_parser("jobs", help="background jobs: list runs, run one now")
    actions = jobs.add_subparsers(dest="jobs_command", required=True)

    listing = actions.add_parser("list", help="the jobs, their schedules and the latest runs")
    listing.add_argument("--job", help="only runs of this job")
    listing.add_argument("--limit", type=int, default=20)
    listing.set_defaults(func=_list)

    run = actions.add_parser("run", help="run a job now (in this process, or on Celery with --enqueue)")
    run.add_argument("name", help="refresh_prices, retrain, evaluate_realised or reindex_chat")
    run.add_argument(
        "--arg",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="job argument, e.g. --arg tickers=AAPL,MSFT --arg force=true",
    )
    run.add_argument("--enqueue", action="store_true", help="queue it on Celery (needs REDIS_URL)")
    run.set_defaults(func=_run)

    scheduler = subparsers.add_parser("scheduler", help="run the daily job schedule (APScheduler)")
    scheduler.set_defaults(func=_scheduler)

    worker = subparsers.add_parser("worker", help="start a Celery worker (needs REDIS_URL)")
    worker.add_argument("--concurrency", type=int, default=0, help="processes (default: one per core)")
    worker.add_argument("--queue", help="queue to consume (default: CELERY_QUEUE)")
    worker.add_argument("--loglevel", default="INFO")
    worker.set_defaults(func=_worker)


def parse_job_args(pairs: list[str]) -> dict[str, str]:
    args = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InvalidInputError(f"--arg needs KEY=VALUE, got {pair!r}")
        args[key.strip()] = value.strip()
    return args


def _list(args: argparse.Namespace) -> int:
    settings = get_settings()
    print(f"{'job':<20} {'schedule (UTC)':<22} description")
    for info in list_jobs(settings):
        print(f"{info.name:<20} {info.schedule:<22} {info.description}")
    with session_scope(settings) as session:
        runs, total = list_job_runs(session, actor=None, limit=args.limit, job=args.job)
        print(f"\nlatest runs ({len(runs)} of {total}):")
        print(f"{'id':>6} {'job':<18} {'status':<10} {'started (UTC)':<20} {'secs':>7} {'by':<14} error")
        for run in runs:
            seconds = f"{(run.finished_at - run.started_at).total_seconds():.1f}" if run.finished_at else "-"
            started = run.started_at.strftime("%Y-%m-%d %H:%M:%S")
            print(
                f"{run.id:>6} {run.job:<18} {run.status:<10} {started:<20} {seconds:>7} "
                f"{run.triggered_by:<14} {(run.error or '')[:80]}"
            )
    return 0


def _run(args: argparse.Namespace) -> int:
    settings = get_settings()
    job_args = parse_job_args(args.arg)
    if args.enqueue:
        if not settings.redis_url:
            raise InvalidInputError("--enqueue needs REDIS_URL (Celery's broker)")
        dispatched = dispatch_job(args.name, settings=settings, args=job_args, triggered_by="cli")
        print(f"queued {args.name} on Celery: task {dispatched.task_id}")
        return 0
    run = run_job(args.name, settings=settings, args=job_args, triggered_by="cli")
    print(f"run {run.id}: {run.job} {run.status}")
    if run.error:
        print(f"  {run.error}")
    if run.result:
        print(f"  result: {run.result}")
    return 1 if run.status == "failed" else 0


def _scheduler(_args: argparse.Namespace) -> int:
    run_scheduler(get_settings())
    return 0


def _worker(args: argparse.Namespace) -> int:
    settings = get_settings()
    argv = ["worker", "--queues", args.queue or settings.celery_queue, "--loglevel", args.loglevel]
    if args.concurrency:
        argv += ["--concurrency", str(args.concurrency)]
    default_app().worker_main(argv)
    return 0
