"""flask search rebuild | check | drain, and flask library work (the worker on its own)."""

from __future__ import annotations

import time

import click
from flask.cli import AppGroup

from app.search import outbox, service

search_cli = AppGroup("search", help="The search index: rebuild it, compare it with the data.")
library_cli = AppGroup("library", help="The shared library's background work.")


@search_cli.command("rebuild")
def rebuild() -> None:
    """Empty the index and index everything again from the database (with a progress bar)."""
    total = 0
    with click.progressbar(length=1, label="Indexing") as bar:

        def advance(done: int) -> None:
            bar.update(done)

        def started(count: int) -> None:
            bar.length = max(count, 1)

        total = service.rebuild(progress=advance, started=started)
    click.echo(f"{total} entries indexed.")


@search_cli.command("check")
def check() -> None:
    """Compare the index with the database; exit 1 when they differ."""
    report = service.check()
    for name in ("missing", "stale", "orphaned"):
        keys = report[name]
        click.echo(f"{name}: {len(keys)}" + (f" (e.g. {', '.join(keys[:5])})" if keys else ""))
    lag = outbox.lag()
    click.echo(f"waiting in the outbox: {lag['waiting']}")
    if any(report.values()):
        raise SystemExit(1)


@search_cli.command("drain")
def drain() -> None:
    """Write the waiting changes to the index now."""
    click.echo(f"{outbox.drain()} changes written.")


@library_cli.command("work")
@click.option("--once", is_flag=True, help="Do what is waiting, then stop.")
def work(once: bool) -> None:
    """Read uploaded files and keep the index current (run one per host when scaled)."""
    from app.library import worker

    while True:
        done = worker.run_pending()
        if once:
            click.echo(f"{done} files read.")
            return
        if not done:
            time.sleep(worker.IDLE_SECONDS)
