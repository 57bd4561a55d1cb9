"""What ``mlscan scan`` does once its command line is read (by click in ``mlscan.cli``, or by ``mlscan.fastcli``
without click): scan, render, write, and the exit code of ``--fail-under``."""

from __future__ import annotations

import os
import sys
from typing import Any

from .errors import MlscanError


def run(
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
    mlflow_uri: str | None = None,
    k8s: bool = False,
    k8s_context: str | None = None,
    k8s_namespaces: tuple[str, ...] = (),
    aws: bool = False,
    aws_profile: str | None = None,
    aws_region: str | None = None,
    live_timeout: float | None = None,
    no_live: bool = False,
    as_root: bool = False,
    no_cache: bool = False,
    cache_dir: str | None = None,
) -> None:
    from .gcpolicy import rare_collections

    # The engine's imports; frozen when this call is the process's first (a program's start-up, not a test run's
    # hundredth scan, whose garbage would be kept for good). engine.scan keeps collections rare for its own start-up.
    with rare_collections(freeze="mlscan.engine" not in sys.modules):
        from .engine import ScanOptions
        from .engine import scan as run_scan
        from .reporters import get_reporter

    try:
        result = run_scan(
            path,
            ScanOptions(frameworks=frameworks or ("checklist20",), rules=rules, excludes=excludes, use_attestations=not no_attestations,
                        jobs=jobs, live=_live_request(mlflow_uri, k8s, k8s_context, k8s_namespaces, aws, aws_profile, aws_region, live_timeout),
                        use_live_config=not no_live, as_root=as_root, cache=False if no_cache else (cache_dir or True)),
        )
        use_color = color if color is not None else (output == "-" and sys.stdout.isatty() and "NO_COLOR" not in os.environ)
        text = get_reporter(fmt)(result, color=use_color)
    except MlscanError as e:
        echo(f"mlscan: error: {e}\n", err=True)
        sys.exit(e.exit_code)
    if output == "-":
        echo(text)
    else:
        try:
            with open(output, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as e:
            echo(f"mlscan: error: cannot write {output}: {e.strerror}\n", err=True)
            sys.exit(2)
    if fail_under and result.primary.level < int(fail_under[1:]):
        echo(f"mlscan: level L{result.primary.level} is below {fail_under}\n", err=True)
        sys.exit(1)


def _live_request(mlflow_uri: str | None, k8s: bool, context: str | None, namespaces: tuple[str, ...], aws: bool, profile: str | None,
                  region: str | None, timeout: float | None) -> Any:
    """The live endpoints asked for on the command line, or None (then scanner/live is not even imported)."""
    want_k8s, want_aws = k8s or context is not None or bool(namespaces), aws or profile is not None or region is not None
    if mlflow_uri is None and not want_k8s and not want_aws and timeout is None:
        return None
    from .live.interface import AwsTarget, K8sTarget, LiveRequest, MlflowTarget

    if mlflow_uri == "" and not os.environ.get("MLFLOW_TRACKING_URI"):
        from .errors import UsageError

        raise UsageError("--mlflow without a URI needs MLFLOW_TRACKING_URI (or write --mlflow=URI)")

    kw: dict[str, Any] = {"timeout": timeout, "budget": 6 * timeout} if timeout is not None else {}
    return LiveRequest(
        mlflow=MlflowTarget(mlflow_uri or None) if mlflow_uri is not None else None,
        k8s=K8sTarget(context, namespaces) if want_k8s else None,
        aws=AwsTarget(profile, region) if want_aws else None,
        **kw,
    )


def echo(text: str, err: bool = False) -> None:
    """``click.echo(text, nl=False)`` for what a scan prints: written as is when click would write it as is (a text
    stream that is not ASCII-only, no ANSI sequence it could strip), else through click."""
    stream = sys.stderr if err else sys.stdout
    if stream is None:
        return
    encoding = getattr(stream, "encoding", None) or "ascii"
    import codecs

    try:
        ascii_only = codecs.lookup(encoding).name == "ascii"
    except LookupError:
        ascii_only = True
    if ascii_only or "\x1b" in text:
        import click

        click.echo(text, nl=False, err=err)
        return
    if text:
        stream.write(text)
    stream.flush()
