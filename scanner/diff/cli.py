"""``mlscan diff``: the command line of the diff (registered on the main group by ``mlscan.cli``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from ..errors import MlscanError, UsageError

_LEVELS = ["L1", "L2", "L3", "L4"]


def _load_report(path: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
    except OSError as e:
        raise UsageError(f"cannot read {path}: {e.strerror}") from None
    except (ValueError, UnicodeDecodeError) as e:
        raise UsageError(f"{path}: not a JSON report ({e})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("questions"), list) or "level" not in doc:
        raise UsageError(f"{path}: not an mlscan JSON report (mlscan scan -f json)")
    return doc


def _write(output: str, text: str) -> None:
    if output == "-":
        click.echo(text, nl=False)
        return
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as e:
        raise UsageError(f"cannot write {output}: {e.strerror}") from None


@click.command("diff")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--base", "base_ref", metavar="REF", help="Git ref (commit, branch, tag) of the base, read without a checkout.")
@click.option("--head", "head_ref", metavar="REF", help="Git ref of the head. Default: the work tree (what 'mlscan scan PATH' sees).")
@click.option("-f", "--format", "fmt", type=click.Choice(["terminal", "markdown", "json"]), default="terminal", show_default=True,
              help="Diff format (json: mlscan/schemas/diff.schema.json).")
@click.option("-o", "--output", default="-", help="Write the diff to FILE.")
@click.option("--framework", "frameworks", multiple=True, help="Rule pack(s) to score with (refs only); repeatable; 'all' for every pack.")
@click.option("--rules", "rules", multiple=True, type=click.Path(), help="Extra rule pack file or directory (refs only); repeatable.")
@click.option("--exclude", "excludes", multiple=True, help="Glob of paths to skip (refs only); repeatable.")
@click.option("--no-attestations", is_flag=True, help="Ignore attestations in .mlscan.yml (refs only).")
@click.option("-j", "--jobs", type=click.IntRange(min=0), default=0, show_default=True, help="Worker processes per scan (as for 'mlscan scan').")
@click.option("--fail-on-regression", is_flag=True, help="Exit 1 when a level or any answer got worse, naming them.")
@click.option("--fail-under", type=click.Choice(_LEVELS), help="Exit 1 when the head's primary level is below this.")
@click.option("--head-json", metavar="FILE", help="Also write the head's full JSON report to FILE (refs only).")
@click.option("--sarif", "sarif_out", metavar="FILE", help="Also write the head's SARIF 2.1.0 log to FILE (refs only).")
@click.option("--report-url", metavar="URL", help="Link to the full report, shown where Markdown evidence is cut.")
@click.option("--evidence-limit", type=click.IntRange(min=0), default=5, show_default=True, help="Evidence lines per answer and side in Markdown.")
def diff_cmd(paths: tuple[str, ...], base_ref: str | None, head_ref: str | None, fmt: str, output: str, frameworks: tuple[str, ...],
             rules: tuple[str, ...], excludes: tuple[str, ...], no_attestations: bool, jobs: int, fail_on_regression: bool,
             fail_under: str | None, head_json: str | None, sarif_out: str | None, report_url: str | None, evidence_limit: int) -> None:
    """What a change does to maturity: level and yes-count change, every answer that changed with the
    evidence that appeared or disappeared, pitfalls added or removed, per framework.

    \b
    mlscan diff PATH --base REF [--head REF]   two refs of the repository at PATH (or its subdirectory)
    mlscan diff BASE.json HEAD.json            two saved reports (mlscan scan -f json)

    Refs are read from Git without a checkout; the head defaults to the work tree. When no file the
    project sees changed, the base scan is reused for the head. Exit codes: 0 done, 1 a gate failed
    (--fail-on-regression, --fail-under), 2 usage error, 3 the scan could not run.
    """
    from .compare import compare
    from .render import markdown, terminal, to_json

    try:
        result = None
        if base_ref is not None:
            if len(paths) != 1:
                raise UsageError("with --base, give one PATH (the repository or a subdirectory of it)")
            from ..engine import ScanOptions
            from ..report import build_report
            from .refs import scan_refs

            options = ScanOptions(frameworks=frameworks or ("checklist20",), rules=rules, excludes=excludes,
                                  use_attestations=not no_attestations, jobs=jobs)
            b, h = scan_refs(paths[0], base_ref, head_ref, options)
            result = h.result
            head_report = build_report(h.result)
            doc = compare(build_report(b.result), head_report, base_ref=base_ref, head_ref=head_ref, reused=h.reused, head_dirty=h.dirty)
        else:
            if len(paths) != 2:
                raise UsageError("give two JSON reports (BASE.json HEAD.json) or one PATH with --base REF")
            if head_ref or head_json or sarif_out or frameworks or rules or excludes:
                raise UsageError("--head, --framework, --rules, --exclude, --head-json and --sarif need PATH --base REF")
            head_report = _load_report(paths[1])
            doc = compare(_load_report(paths[0]), head_report, base_ref=paths[0], head_ref=paths[1])
        if fmt == "markdown":
            text = markdown(doc, evidence_limit=evidence_limit, report_url=report_url) + "\n"
        elif fmt == "json":
            text = to_json(doc)
        else:
            text = terminal(doc)
        _write(output, text)
        if result is not None and head_json:
            _write(head_json, json.dumps(head_report, indent=2, ensure_ascii=False) + "\n")
        if result is not None and sarif_out:
            from ..reporters import get_reporter

            _write(sarif_out, get_reporter("sarif")(result))
    except MlscanError as e:
        click.echo(f"mlscan: error: {e}", err=True)
        sys.exit(e.exit_code)
    failed = False
    if fail_on_regression and doc["regressed"]:
        click.echo("mlscan: regression: " + "; ".join(doc["regressions"]), err=True)
        failed = True
    if fail_under and doc["level"]["head"] < int(fail_under[1:]):
        click.echo(f"mlscan: level L{doc['level']['head']} is below {fail_under}", err=True)
        failed = True
    if failed:
        sys.exit(1)
