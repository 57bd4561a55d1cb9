"""``mlscan org scan|work|report``: org-wide scans. Heavy imports (SQLAlchemy, GitPython, Alembic, rich)
happen inside the commands, so ``mlscan scan`` never pays for them."""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import click

from ..errors import MlscanError, UsageError
from ..lazyre import lazy_re

_SIZE = lazy_re(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$", re.IGNORECASE)


def parse_size(text: str) -> int:
    """``4G``, ``512M``, ``1.5GiB``, ``0`` (no limit) -> bytes."""
    m = _SIZE.match(text)
    if not m:
        raise click.BadParameter(f"not a size: {text!r} (e.g. 4G, 512M)")
    return int(float(m.group(1)) * (1 << (10 * " kmgt".index((m.group(2) or " ").lower()))))


def _fail(e: MlscanError) -> None:
    click.echo(f"mlscan: error: {e}", err=True)
    sys.exit(e.exit_code)


def _default_cache() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "mlscan", "clones")


def _db_option(f: Any) -> Any:
    return click.option("--db", "db", envvar="MLSCAN_DB", default="sqlite:///mlscan-org.sqlite", show_default=True,
                        help="Results database: a SQLAlchemy URL (sqlite:///FILE, postgresql://...) or a file path. Env: MLSCAN_DB.")(f)


def _worker_options(f: Any) -> Any:
    for opt in reversed((
        click.option("-w", "--workers", type=click.IntRange(min=0), default=0, show_default=True, help="Repositories scanned at once; 0: one per CPU."),
        click.option("--timeout", type=click.FloatRange(min=0.01), default=600.0, show_default=True, help="Seconds per repository (clone and scan); then it is failed."),
        click.option("--memory-limit", "memory", default="4G", show_default=True, help="Address space per repository scan (e.g. 2G; 0: none)."),
        click.option("--lease", type=click.FloatRange(min=1), default=120.0, show_default=True, help="Seconds a claimed repository stays this worker's without a heartbeat; after that another worker takes it."),
        click.option("--max-age", type=click.FloatRange(min=0), default=7.0, show_default=True, help="Rescan an unchanged repository after this many days anyway."),
        click.option("--cache", "cache", envvar="MLSCAN_CACHE", default=_default_cache, help="Clone cache directory (default ~/.cache/mlscan/clones). Env: MLSCAN_CACHE."),
        click.option("--run-key", help="Name of the run: every worker started with the same key shares its queue (e.g. the CI run id)."),
        click.option("--facts-cache", type=click.Choice(["rescans", "all", "none"]), default="rescans", show_default=True,
                     help="Which scans use the facts cache ($MLSCAN_CACHE_DIR): rescans of repositories scanned before (a first scan records nothing), all, or none."),
    )):
        f = opt(f)
    return f


@click.group("org")
def org() -> None:
    """Org-wide scans: every repository of a GitHub organisation, GitLab group, list or directory, the unchanged
    skipped, the history in a database (needs: pip install 'mlscan[org]')."""


@org.command("scan")
@click.option("--github-org", "github_orgs", multiple=True, metavar="ORG", help="Every repository of this GitHub organisation (token: GITHUB_TOKEN; API: GITHUB_API_URL).")
@click.option("--gitlab-group", "gitlab_groups", multiple=True, metavar="GROUP", help="Every project of this GitLab group and its subgroups (token: GITLAB_TOKEN).")
@click.option("--repos", "repo_files", multiple=True, type=click.Path(), metavar="FILE", help="A file with one clone URL or local path a line (URL#subdir selects a project).")
@click.option("--dir", "dirs", multiple=True, type=click.Path(), metavar="DIR", help="Every Git checkout directly under DIR, scanned in place.")
@click.option("--github-api-url", envvar="GITHUB_API_URL", default="https://api.github.com", show_default=True, help="GitHub (Enterprise Server) REST API base. Env: GITHUB_API_URL.")
@click.option("--gitlab-url", envvar="CI_API_V4_URL", default="https://gitlab.com/api/v4", show_default=True, help="GitLab REST API base (…/api/v4). Env: CI_API_V4_URL.")
@click.option("--include-archived", is_flag=True, help="Also scan archived repositories.")
@click.option("--include-forks", is_flag=True, help="Also scan forks.")
@click.option("--topic", "topics", multiple=True, help="Only repositories with this topic; repeatable (any of them).")
@click.option("--framework", "frameworks", multiple=True, help="Rule pack(s) to score with, as for 'mlscan scan'.")
@click.option("--rules", "rules", multiple=True, type=click.Path(), help="Extra rule pack file or directory; repeatable.")
@click.option("--exclude", "excludes", multiple=True, help="Glob of paths to skip in every repository; repeatable.")
@click.option("--no-attestations", is_flag=True, help="Ignore attestations in .mlscan.yml.")
@click.option("--enqueue-only", is_flag=True, help="List and queue the repositories, scan none (workers: 'mlscan org work').")
@_db_option
@_worker_options
def scan_cmd(
    github_orgs: tuple[str, ...], gitlab_groups: tuple[str, ...], repo_files: tuple[str, ...], dirs: tuple[str, ...],
    github_api_url: str, gitlab_url: str, include_archived: bool, include_forks: bool, topics: tuple[str, ...],
    frameworks: tuple[str, ...], rules: tuple[str, ...], excludes: tuple[str, ...], no_attestations: bool, enqueue_only: bool,
    db: str, **wopts: Any,
) -> None:
    """List the repositories of the sources, queue them in the database and scan them.

    A repository whose head commit, mlscan version, rule packs and settings are unchanged since its last
    complete scan (and younger than --max-age) is skipped without cloning. Rerunning after an interruption
    resumes the unfinished run: nothing is lost or scanned twice. A repository's .mlscan.yml may list
    monorepo projects (projects: [services/a, services/b]); each is scanned and stored on its own.
    """
    if not (github_orgs or gitlab_groups or repo_files or dirs):
        _fail(UsageError("no source: give --github-org, --gitlab-group, --repos or --dir"))
    try:
        from .interface import Settings
        from .store import open_store

        settings = Settings(frameworks or ("checklist20",), tuple(rules), tuple(excludes), not no_attestations)
        _check_settings(settings)
        log = _log
        repos = _list(github_orgs, gitlab_groups, repo_files, dirs, github_api_url, gitlab_url, include_archived, include_forks, topics, log)
        descr = [f"github:{o}" for o in github_orgs] + [f"gitlab:{g}" for g in gitlab_groups] + [f"list:{Path(f).resolve()}" for f in repo_files]
        descr += [f"dir:{Path(d).resolve()}" for d in dirs]
        filters = {"archived": include_archived, "forks": include_forks, "topics": sorted(topics)}
        source_hash = hashlib.sha256(json.dumps([sorted(descr), filters], sort_keys=True).encode()).hexdigest()
        store = open_store(db)
        from . import queue
        from .order import longest_first

        repos = longest_first(store, repos)  # a new run queues the longest scans first; a resumed run keeps its queue
        run = queue.open_run(store, key=wopts.get("run_key"), source_hash=source_hash, sources=descr, settings=settings, repos=repos)
        if run.resumed:
            click.echo(f"mlscan: resuming run {run.key} ({run.total} repositories)", err=True)
        else:
            click.echo(f"mlscan: run {run.key}: {run.total} repositories queued", err=True)
        if enqueue_only:
            click.echo(f"run {run.key}: {run.total} repositories queued in {store.url}")
            return
        _work(store, [run], wopts)
    except MlscanError as e:
        _fail(e)


@org.command("work")
@_db_option
@_worker_options
def work_cmd(db: str, **wopts: Any) -> None:
    """Work on the unfinished runs in the database (or the run --run-key names) until every repository is
    done: start one per machine, all sharing one PostgreSQL database."""
    try:
        from . import queue
        from .store import open_store

        store = open_store(db)
        runs = queue.open_runs(store, wopts.get("run_key"))
        if not runs:
            click.echo("mlscan: nothing to do: no unfinished run" + (f" with key {wopts['run_key']}" if wopts.get("run_key") else ""), err=True)
            return
        _work(store, runs, wopts)
    except MlscanError as e:
        _fail(e)


@org.command("report")
@_db_option
@click.option("-o", "--output", "out_dir", required=True, type=click.Path(file_okay=False), help="Directory for index.html, repos/*.html, mlscan-org.csv and mlscan-org.json.")
@click.option("--days", type=click.IntRange(min=1), default=7, show_default=True, help="'Biggest movers' compares with the scans this many days ago.")
def report_cmd(db: str, out_dir: str, days: int) -> None:
    """Render the dashboard (level distribution, per-repository table with trends, the organisation's radar,
    common pitfalls, biggest movers) with each repository's HTML report, plus CSV and JSON exports."""
    try:
        from .dashboard import write_dashboard
        from .store import open_store

        store = open_store(db)
        n = write_dashboard(store, Path(out_dir), days=days)
        click.echo(f"{Path(out_dir) / 'index.html'}: {n} projects")
    except MlscanError as e:
        _fail(e)
    except OSError as e:
        _fail(UsageError(f"cannot write {out_dir}: {e.strerror}"))


def _log(msg: str) -> None:
    click.echo(f"mlscan: {msg}", err=True)


def _check_settings(settings: Any) -> None:
    from ..engine import ScanOptions, select_packs

    select_packs(ScanOptions(frameworks=settings.frameworks, rules=settings.rules))


def _list(github_orgs: Any, gitlab_groups: Any, repo_files: Any, dirs: Any, github_api_url: str, gitlab_url: str,
          archived: bool, forks: bool, topics: Any, log: Any) -> list:
    from . import sources

    repos = []
    for o in github_orgs:
        repos += sources.github_org(o, token=os.environ.get("GITHUB_TOKEN") or None, api_url=github_api_url, archived=archived, forks=forks,
                                    topics=tuple(topics), log=log)
    for g in gitlab_groups:
        repos += sources.gitlab_group(g, token=os.environ.get("GITLAB_TOKEN") or None, api_url=gitlab_url, archived=archived, forks=forks,
                                      topics=tuple(topics), log=log)
    for f in repo_files:
        repos += sources.list_file(f)
    for d in dirs:
        repos += sources.directory(d)
    return sources.dedupe(repos)


def _work(store: Any, runs: list, wopts: dict[str, Any]) -> None:
    from .interface import Limits
    from .progress import Progress
    from .worker import tokens_from_env, work

    memory = parse_size(wopts["memory"])
    limits = Limits(timeout=wopts["timeout"], memory=memory, lease=wopts["lease"], max_age_days=wopts["max_age"])
    slots = wopts["workers"] or os.cpu_count() or 1
    for run in runs:
        with Progress(run.total, already=sum(n for s, n in _counts(store, run.id).items() if s in ("done", "skipped", "failed"))) as progress:
            summary = work(store, run, slots=slots, limits=limits, cache=Path(wopts["cache"]), tokens=tokens_from_env(), on_done=progress.done,
                           facts_cache=wopts["facts_cache"])
        _summary(store, run, summary)


def _counts(store: Any, run_id: int) -> dict[str, int]:
    from .queue import counts

    return counts(store, run_id)


def _summary(store: Any, run: Any, summary: Any) -> None:
    from .queue import failures

    c = _counts(store, run.id)
    mine = ", ".join(f"{k} {v}" for k, v in sorted(summary.counts.items())) or "nothing"
    click.echo(
        f"run {run.key}: {run.total} repositories: {c.get('done', 0)} scanned, {c.get('skipped', 0)} unchanged, {c.get('failed', 0)} failed"
        f" (this worker: {mine} in {summary.seconds:.1f} s)"
    )
    fails = failures(store, run.id)
    for name, reason in fails[:20]:
        click.echo(f"  failed: {name}: {reason}")
    if len(fails) > 20:
        click.echo(f"  ... and {len(fails) - 20} more failures")
