"""``mlscan scan PATH [options]`` without importing click, for the invocations it understands completely.

Importing click costs ~20 ms of CPU (``inspect``, its types and decorators), more than a tenth of a small
repository's whole scan. ``parse`` reads the command lines whose meaning is beyond doubt: ``[scan] PATH`` with
the scan command's own options in their plain forms (``--format json``, ``--format=json``, ``-f json``, flags,
repeatable ``--exclude``...), values that click would accept unchanged. Anything else (``--help``, ``--version``,
another command, an unknown or malformed option, a value click would reject or convert, a live endpoint option,
``--``, shell completion) returns None and ``mlscan.cli`` (click) handles the command line as always, with its own
help, messages and exit codes. tests/test_fastcli.py checks that every command line ``parse`` accepts gives the
parameters click gives.
"""

from __future__ import annotations

import os
import sys
from typing import Any

# The scan command's options (cli.scan) that the fast path reads: option -> (parameter, kind). Kinds: "flag" (True),
# "off" (False), "value" (the next word), "multi" (repeatable value), "choice:<a>|<b>", "uint" (digits, IntRange min 0),
# "dir" (click.Path(file_okay=False)).
OPTIONS: dict[str, tuple[str, str]] = {
    "-f": ("fmt", "format"),
    "--format": ("fmt", "format"),
    "-o": ("output", "value"),
    "--output": ("output", "value"),
    "--framework": ("frameworks", "multi"),
    "--rules": ("rules", "multi"),
    "--exclude": ("excludes", "multi"),
    "--no-attestations": ("no_attestations", "flag"),
    "--fail-under": ("fail_under", "choice:L1|L2|L3|L4"),
    "--color": ("color", "flag"),
    "--no-color": ("color", "off"),
    "--no-live": ("no_live", "flag"),
    "-j": ("jobs", "uint"),
    "--jobs": ("jobs", "uint"),
    "--no-cache": ("no_cache", "flag"),
    "--cache-dir": ("cache_dir", "dir"),
    "--as-root": ("as_root", "flag"),
}
DEFAULTS: dict[str, Any] = {
    "fmt": "terminal", "output": "-", "frameworks": (), "rules": (), "excludes": (), "no_attestations": False,
    "fail_under": None, "color": None, "jobs": 0, "mlflow_uri": None, "k8s": False, "k8s_context": None,
    "k8s_namespaces": (), "aws": False, "aws_profile": None, "aws_region": None, "live_timeout": None, "no_live": False,
    "as_root": False, "no_cache": False, "cache_dir": None,
}
# every command name of mlscan.cli (its own and LAZY_COMMANDS): a first word naming one is that command
COMMANDS = frozenset({"scan", "detectors", "frameworks", "explain", "diff", "comment", "check", "org"})


def _readable(path: str) -> bool:
    """click.Path's checks of an existing path (readable, the default) pass."""
    return not os.path.exists(path) or os.access(path, os.R_OK)


def parse(argv: list[str]) -> dict[str, Any] | None:
    """The scan command's parameters (as click would give them) for ``argv`` (without the program name), or None when
    click must read it."""
    from .reporters import REPORTERS

    if os.name != "posix" or any(k.startswith("_") and k.endswith("_COMPLETE") for k in os.environ):
        return None  # Windows consoles and shell completion: click's business
    if not argv:
        return None
    if argv[0] == "scan":
        words = argv[1:]
    elif argv[0] in COMMANDS or argv[0].startswith("-"):
        return None
    else:
        words = argv
    params: dict[str, Any] = dict(DEFAULTS)
    multi: dict[str, list[str]] = {}
    path: str | None = None
    i = 0
    while i < len(words):
        word = words[i]
        i += 1
        if not word.startswith("-") or word == "-":
            if path is not None or word in ("", "-"):
                return None
            path = word
            continue
        name, eq, inline = word.partition("=")
        if eq and not name.startswith("--"):
            return None  # -f=json: click reads it as -f with value "=json"
        spec = OPTIONS.get(name)
        if spec is None:
            return None
        param, kind = spec
        if kind in ("flag", "off"):
            if eq:
                return None
            params[param] = kind == "flag"
            continue
        if eq:
            value = inline
        else:
            if i >= len(words):
                return None
            value = words[i]
            i += 1
        if value.startswith("-") or not _plain(value):
            return None
        if kind == "format":
            if value not in REPORTERS:
                return None
            params[param] = value
        elif kind.startswith("choice:"):
            if value not in kind[7:].split("|"):
                return None
            params[param] = value
        elif kind == "uint":
            if not value.isascii() or not value.isdigit():
                return None
            params[param] = int(value)
        elif kind == "dir":
            if os.path.isfile(value) or not _readable(value) or value == "":
                return None
            params[param] = value
        elif kind == "multi":
            multi.setdefault(param, []).append(value)
        else:
            params[param] = value
    if path is None or not _readable(path):
        return None
    for param, values in multi.items():
        params[param] = tuple(values)
    params["path"] = path
    return params


def _plain(value: str) -> bool:
    """A value click passes through unchanged (no surrogates a file system decode would turn back, no NUL)."""
    return "\0" not in value and not any("\udc80" <= c <= "\udcff" for c in value)


def main() -> None:
    """The ``mlscan`` program: the fast path when ``parse`` understands the command line, else click's."""
    params = parse(sys.argv[1:])
    if params is None:
        from .gcpolicy import rare_collections

        with rare_collections(freeze=True):  # importing the command line (click and mlscan's modules): no cyclic garbage
            from .cli import main as click_main
        click_main()
        return
    from .scan_command import run

    try:
        run(**params)
    except (EOFError, KeyboardInterrupt):  # as click's standalone mode ends them
        import click

        click.echo(file=sys.stderr)
        click.echo("Aborted!", file=sys.stderr)
        sys.exit(1)
    except OSError as e:
        import errno

        if e.errno != errno.EPIPE:
            raise
        from click.utils import PacifyFlushWrapper  # as click: no second error while the closed pipe is flushed at exit

        sys.stdout = PacifyFlushWrapper(sys.stdout)  # type: ignore[assignment]
        sys.stderr = PacifyFlushWrapper(sys.stderr)  # type: ignore[assignment]
        sys.exit(1)
    sys.exit(0)
