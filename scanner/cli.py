"""Command line: ``mlscan scan PATH`` (or just ``mlscan PATH``), ``detectors``, ``frameworks``, ``explain``."""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from . import __version__
from .errors import MlscanError
from .reporters import REPORTERS

FORMATS = tuple(REPORTERS)


class _DefaultToScan(click.Group):
    """``mlscan ./repo`` means ``mlscan scan ./repo``."""

    def resolve_command(self, ctx: click.Context, args: list[str]) -> Any:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args.insert(0, "scan")
        return super().resolve_command(ctx, args)


def _fail(e: MlscanError) -> None:
    click.echo(f"mlscan: error: {e}", err=True)
    sys.exit(e.exit_code)


@click.group(cls=_DefaultToScan, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mlscan")
def main() -> None:
    """Evidence-backed ML infrastructure maturity for a repository.

    Exit codes: 0 done, 1 a gate failed (--fail-under), 2 usage or configuration error,
    3 the scan could not run.
    """


@main.command()
@click.argument("path", type=click.Path(file_okay=True, dir_okay=True))
@click.option("-f", "--format", "fmt", type=click.Choice(FORMATS), default="terminal", show_default=True, help="Report format (badge-json: shields.io endpoint JSON; badge-svg: static SVG badge).")
@click.option("-o", "--output", default="-", help="Write the report to FILE (written only after a successful scan).")
@click.option("--framework", "frameworks", multiple=True, help="Rule pack(s) to score with (see 'mlscan frameworks'); repeatable; 'all' for every pack. The first is the primary. Default: checklist20.")
@click.option("--rules", "rules", multiple=True, type=click.Path(), help="Extra rule pack file or directory; repeatable. Same framework name overrides.")
@click.option("--exclude", "excludes", multiple=True, help="Glob of paths to skip (e.g. 'examples/**'); repeatable.")
@click.option("--no-attestations", is_flag=True, help="Ignore attestations in .mlscan.yml.")
@click.option("--fail-under", type=click.Choice(["L1", "L2", "L3", "L4"]), help="Exit 1 when the primary framework's level is below this.")
@click.option("--color/--no-color", default=None, help="Colour the terminal report (default: when stdout is a terminal).")
@click.option("-j", "--jobs", type=click.IntRange(min=0), default=0, show_default=True, help="Worker processes for the detectors; 0: one per CPU (at most 8) when the repository has 500 or more Python, notebook, YAML and JSON files, 1: a single process. The report is the same either way.")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the facts cache (rescans reuse the work on files that did not change; the report is the same either way).")
@click.option("--cache-dir", type=click.Path(file_okay=False), help="Facts cache directory (default: $MLSCAN_CACHE_DIR, else $XDG_CACHE_HOME/mlscan or ~/.cache/mlscan).")
def scan(
    path: str,
    fmt: str,
    output: str,
    frameworks: tuple[str, ...],
    rules: tuple[str, ...],
    excludes: tuple[str, ...],
    no_attestations: bool,
    fail_under: str | None,
    color: bool | None,
    jobs: int,
    no_cache: bool,
    cache_dir: str | None,
) -> None:
    """Scan the repository (or monorepo subdirectory) at PATH and report its maturity.

    PATH may also be a Git URL (https://, ssh://, git@, file://), optionally with #SUBDIR;
    it is shallow-cloned into a temporary directory.

    The report gives the level and answers of each framework, the crosswalk to the Google,
    Microsoft and AWS levels, the pitfalls found (with evidence) and the next steps to the
    next level. A .mlscan.yml in the project (or repository root) adds excludes and
    attestations; a malformed one is a configuration error (exit 2).
    """
    from .engine import ScanOptions
    from .engine import scan as run_scan
    from .reporters import get_reporter

    try:
        result = run_scan(
            path,
            ScanOptions(frameworks=frameworks or ("checklist20",), rules=rules, excludes=excludes, use_attestations=not no_attestations,
                        jobs=jobs, cache=False if no_cache else (cache_dir or True)),
        )
        use_color = color if color is not None else (output == "-" and sys.stdout.isatty() and "NO_COLOR" not in os.environ)
        text = get_reporter(fmt)(result, color=use_color)
    except MlscanError as e:
        _fail(e)
        return
    if output == "-":
        click.echo(text, nl=False)
    else:
        try:
            with open(output, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as e:
            click.echo(f"mlscan: error: cannot write {output}: {e.strerror}", err=True)
            sys.exit(2)
    if fail_under and result.primary.level < int(fail_under[1:]):
        click.echo(f"mlscan: level L{result.primary.level} is below {fail_under}", err=True)
        sys.exit(1)


@main.command("detectors")
def detectors_cmd() -> None:
    """List the installed detectors, the questions they feed and what they find."""
    from .plugins import load_detectors

    try:
        dets = load_detectors()
    except MlscanError as e:
        _fail(e)
        return
    for d in dets:
        click.echo(f"{d.id:32} {','.join(d.questions):16} {d.describe()}")


@main.command("frameworks")
@click.option("--rules", "rules", multiple=True, type=click.Path(), help="Extra rule pack file or directory.")
def frameworks_cmd(rules: tuple[str, ...]) -> None:
    """List the rule packs (maturity models) with their source."""
    from .scoring.rulepack import load_packs

    try:
        packs = load_packs(list(rules))
    except MlscanError as e:
        _fail(e)
        return
    for name, p in sorted(packs.items()):
        levels = ", ".join(f"{lv}={p.level_name(lv)}" for lv in p.level_numbers)
        click.echo(f"{name:18} {len(p.questions):3} questions  {p.title}")
        click.echo(f"{'':18} scoring: {p.method}; levels: {levels}")
        if p.source:
            click.echo(f"{'':18} source: {p.source}")
        click.echo(f"{'':18} from: {p.origin} ({p.path})")


@main.command("explain")
@click.argument("qid")
@click.option("--framework", default="checklist20", show_default=True, help="Pack to look in first (others are searched next).")
@click.option("--rules", "rules", multiple=True, type=click.Path(), help="Extra rule pack file or directory.")
def explain_cmd(qid: str, framework: str, rules: tuple[str, ...]) -> None:
    """Explain a question or criterion such as M4 or G2.gates: what counts, which level needs it,
    which detectors feed it, and the next-step guidance."""
    from .explain import explain

    try:
        click.echo(explain(qid, framework, list(rules)))
    except MlscanError as e:
        _fail(e)


if __name__ == "__main__":  # pragma: no cover
    main()
