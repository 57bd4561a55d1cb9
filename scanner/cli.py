"""Command line: ``mlscan scan PATH`` (or just ``mlscan PATH``), ``diff``, ``check``, ``comment``, ``detectors``, ``frameworks``, ``explain``."""

from __future__ import annotations

import sys
from typing import Any

import click

from . import __version__
from .errors import MlscanError
from .reporters import REPORTERS

FORMATS = tuple(REPORTERS)


# Commands of other front-ends, imported only when run or listed (``mlscan --help``): a scan needs none of them.
LAZY_COMMANDS = {
    "diff": "mlscan.diff.cli:diff_cmd",
    "comment": "mlscan.pr.cli:comment_cmd",
    "check": "mlscan.pr.cli:check_cmd",
    "org": "mlscan.org.cli:org",  # click and stdlib only; SQLAlchemy/GitPython load inside its commands
}


class _DefaultToScan(click.Group):
    """``mlscan ./repo`` means ``mlscan scan ./repo``; the commands of LAZY_COMMANDS load when used."""

    def resolve_command(self, ctx: click.Context, args: list[str]) -> Any:
        if args and args[0] not in self.commands and args[0] not in LAZY_COMMANDS and not args[0].startswith("-"):
            args.insert(0, "scan")
        return super().resolve_command(ctx, args)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in LAZY_COMMANDS:
            from importlib import import_module

            module, _, attr = LAZY_COMMANDS[cmd_name].partition(":")
            self.add_command(getattr(import_module(module), attr), cmd_name)
        return self.commands.get(cmd_name)


def _fail(e: MlscanError) -> None:
    click.echo(f"mlscan: error: {e}", err=True)
    sys.exit(e.exit_code)


@click.group(cls=_DefaultToScan, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mlscan")
def main() -> None:
    """Evidence-backed ML infrastructure maturity for a repository.

    Pull requests: 'mlscan diff' compares two refs or two JSON reports, 'mlscan check' is the
    pull-request check the GitHub Action runs, 'mlscan comment' keeps one sticky comment per pull
    request (GitHub) or merge request (GitLab) up to date.

    Exit codes: 0 done, 1 a gate failed (--fail-under, --fail-on-regression), 2 usage or
    configuration error, 3 the scan could not run.
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
@click.option("--mlflow", "mlflow_uri", is_flag=False, flag_value="", default=None, metavar="[URI]", help="Read the MLflow tracking server/registry (extra 'mlflow'); without URI: MLFLOW_TRACKING_URI and MLflow's own settings. Put it after PATH or write --mlflow=URI.")
@click.option("--k8s", "k8s", is_flag=True, help="Read the Kubernetes cluster of the current kubeconfig context, or in-cluster (extra 'k8s').")
@click.option("--context", "k8s_context", metavar="C", help="kubeconfig context for --k8s (implies --k8s).")
@click.option("--namespace", "k8s_namespaces", multiple=True, metavar="N", help="Namespace(s) to read with --k8s (implies --k8s; repeatable; default: all the credentials may list).")
@click.option("--aws", "aws", is_flag=True, help="Read the AWS account with boto3's default credential chain (extra 'aws'); AWS_ENDPOINT_URL is honoured.")
@click.option("--profile", "aws_profile", metavar="P", help="AWS profile for --aws (implies --aws).")
@click.option("--region", "aws_region", metavar="R", help="AWS region for --aws (implies --aws).")
@click.option("--live-timeout", type=click.FloatRange(min=0.1, max=300), default=None, metavar="SECONDS", help="Seconds per live call (default 10; a platform gets at most 6x this).")
@click.option("--no-live", is_flag=True, help="Ignore the live: section of the repository's .mlscan.yml.")
@click.option("-j", "--jobs", type=click.IntRange(min=0), default=0, show_default=True, help="Worker processes for the detectors; 0: one per CPU (at most 8) when the repository has 500 or more Python, notebook, YAML and JSON files, 1: a single process. The report is the same either way.")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the facts cache (rescans reuse the work on files that did not change; the report is the same either way).")
@click.option("--cache-dir", type=click.Path(file_okay=False), help="Facts cache directory (default: $MLSCAN_CACHE_DIR, else $XDG_CACHE_HOME/mlscan or ~/.cache/mlscan).")
@click.option("--as-root", is_flag=True, help="Scan PATH as a repository of its own, even inside another Git repository: its .github/workflows, .gitlab-ci.yml, CODEOWNERS and .dvc count as the root's (e.g. an example project kept in a larger repository).")
def scan(**params: Any) -> None:
    """Scan the repository (or monorepo subdirectory) at PATH and report its maturity.

    PATH may also be a Git URL (https://, ssh://, git@, file://), optionally with #SUBDIR;
    it is shallow-cloned into a temporary directory.

    The report gives the level and answers of each framework, the crosswalk to the Google,
    Microsoft and AWS levels, the pitfalls found (with evidence) and the next steps to the
    next level. A .mlscan.yml in the project (or repository root) adds excludes and
    attestations; a malformed one is a configuration error (exit 2).

    --mlflow, --k8s and --aws add what those endpoints show (read-only) as observed evidence
    next to the declared one; an endpoint that cannot be read is a warning and its evidence
    unknown (docs/live.md).
    """
    from .scan_command import run

    run(**params)  # the parameters are scan_command.run's, by name (tests/test_fastcli.py checks the names)


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
