"""Git without the scanned repository's code.

Every git process mlscan starts on a scanned or cloned repository goes through :func:`run`: the
repository's own configuration can name programs (``core.fsmonitor``, ``core.hooksPath``, pagers,
``diff.external``, textconv and filter drivers, ``gpg.program``, credential helpers,
``core.sshCommand``), and a scanner that calls plain ``git`` inside it runs them. Here:

- system and global configuration are not read (``GIT_CONFIG_NOSYSTEM``, ``GIT_CONFIG_GLOBAL``),
  so nothing outside the repository adds to what it can name either;
- every key that names a program is overridden on the command line, which beats the repository's
  own ``.git/config`` and anything it includes;
- only read-only plumbing is used on scanned repositories (``rev-parse``, ``ls-files``, ``ls-tree``,
  ``cat-file --batch``, ``config --get``): none of them runs filters, textconv or hooks, and
  :func:`export_tree` writes a ref's blobs itself instead of ``git archive``/``checkout``, which
  would run smudge filters;
- clones refuse option-like and ``ext::``/``fd::`` transports, never recurse submodules, start from
  an empty template directory (no hooks) and check nothing out through a filter.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath

# Keys whose value is a program (or a path that holds programs). The empty value or "false" disables
# each; these overrides come after any repository setting and so win.
_OVERRIDES: tuple[tuple[str, str], ...] = (
    ("core.fsmonitor", "false"),
    ("core.hooksPath", os.devnull),
    ("core.pager", "cat"),
    ("pager.log", "false"),
    ("pager.diff", "false"),
    ("pager.show", "false"),
    ("core.editor", "false"),
    ("sequence.editor", "false"),
    ("core.askPass", ""),
    ("core.sshCommand", "ssh -o BatchMode=yes"),
    ("credential.helper", ""),
    ("diff.external", ""),
    ("gpg.program", "false"),
    ("gpg.ssh.program", "false"),
    ("gpg.x509.program", "false"),
    ("core.alternateRefsCommand", ""),
    ("uploadpack.packObjectsHook", ""),
    ("protocol.ext.allow", "never"),
    ("protocol.fd.allow", "never"),
    ("protocol.file.allow", "always"),
    ("submodule.recurse", "false"),
    ("core.untrackedCache", "false"),
    ("core.quotepath", "off"),
    ("safe.directory", "*"),
    ("init.templateDir", ""),
    ("advice.detachedHead", "false"),
)


def config_args() -> list[str]:
    """The ``-c key=value`` arguments that neutralise every program-naming key."""
    out: list[str] = []
    for k, v in _OVERRIDES:
        out += ["-c", f"{k}={v}"]
    return out


def env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a sanitised git process: no system/global config, no prompts, no pager."""
    e = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    e.update(
        {
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_ATTR_NOSYSTEM": "1",
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_OPTIONAL_LOCKS": "0",
            "GIT_PAGER": "cat",
            "PAGER": "cat",
            "GIT_ASKPASS": "",
            "SSH_ASKPASS": "",
            "GIT_EDITOR": "false",
            "GIT_NO_REPLACE_OBJECTS": "1",
            "LC_ALL": "C",
        }
    )
    if extra:
        e.update(extra)
    return e


def run(
    root: Path | None,
    *args: str,
    check: bool = True,
    timeout: float | None = 600,
    input: bytes | None = None,  # noqa: A002 - subprocess's own name
    extra_env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Run ``git ARGS`` in ``root`` with the sanitised configuration; never uses a shell."""
    return subprocess.run(
        ["git", *config_args(), *args],
        cwd=root,
        capture_output=True,
        check=check,
        timeout=timeout,
        input=input,
        env=env(extra_env),
        stdin=None if input is not None else subprocess.DEVNULL,
    )


def start(root: Path | None, *args: str) -> subprocess.Popen[bytes]:
    """``git ARGS`` in ``root`` started in the background, sanitised as ``run``; ``finish`` collects it. A small scan
    runs its few git processes beside its own start-up instead of one after the other."""
    return subprocess.Popen(
        ["git", *config_args(), *args], cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env()
    )


def finish(proc: subprocess.Popen[bytes], timeout: float | None = 600) -> subprocess.CompletedProcess[bytes]:
    """What ``run(..., check=False)`` returns, for a process ``start`` began (killed after ``timeout``, as ``run``)."""
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)


def out(root: Path, *args: str) -> str | None:
    """stdout of a sanitised git command, or None when it fails or git is missing."""
    try:
        cp = run(root, *args, check=False, timeout=120)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return cp.stdout.decode("utf-8", "replace").strip() if cp.returncode == 0 else None


class UnsafeUrl(ValueError):
    """A clone URL that could make git run a program or read an option."""


_SAFE_SCHEMES = ("https://", "http://", "ssh://", "git://", "file://")


def check_clone_url(url: str) -> None:
    """Refuse URLs git could take as an option or as a program-running transport."""
    u = url.strip()
    if not u or u.startswith("-"):
        raise UnsafeUrl("a clone URL may not start with '-'")
    low = u.lower()
    if "::" in u.split("/", 1)[0] or low.startswith(("ext::", "fd::")):
        raise UnsafeUrl("transport helpers (ext::, fd::, ...) are not allowed in clone URLs")
    if any(ch in u for ch in ("\n", "\r", "\0")):
        raise UnsafeUrl("a clone URL may not contain control characters")
    if not (low.startswith(_SAFE_SCHEMES) or _scp_like(u)):
        raise UnsafeUrl("only https://, http://, ssh://, git://, file:// and user@host:path URLs are cloned")


def _scp_like(u: str) -> bool:
    head, sep, _ = u.partition(":")
    return bool(sep) and "@" in head and "/" not in head


def clone_args(url: str, dest: Path, *, depth: int | None = 1, blobless: bool = False, bare: bool = False) -> list[str]:
    """Arguments of a hardened ``git clone``: no hooks (empty template), no submodules, ``--`` before the URL."""
    check_clone_url(url)
    a = ["clone", "--quiet", "--no-recurse-submodules", "--template=", "-c", "core.hooksPath=" + os.devnull]
    if depth:
        a += ["--depth", str(depth)]
    if blobless:
        a += ["--filter=blob:none"]
    if bare:
        a += ["--bare"]
    return [*a, "--", url, str(dest)]


def ls_tree(root: Path, ref: str) -> Iterator[tuple[str, str, str, str]]:
    """(mode, type, object id, path) of every entry of ``ref``'s tree, recursively."""
    cp = run(root, "ls-tree", "-r", "-z", "--full-tree", ref, "--", timeout=300)
    for rec in cp.stdout.split(b"\0"):
        if not rec:
            continue
        meta, _, path = rec.partition(b"\t")
        mode, typ, oid = meta.decode("ascii").split(" ")
        yield mode, typ, oid, os.fsdecode(path)


def export_tree(root: Path, ref: str, dest: Path, *, max_bytes: int = 8 * 1024 * 1024, keep: Callable[[str], bool] | None = None) -> int:
    """Write ``ref``'s regular files into ``dest`` without a checkout (no filters, hooks or work-tree
    change). Symlinks and submodules are not written; files over ``max_bytes`` are written empty (not
    read), the index's size cap skips them later anyway. ``keep`` (path -> bool) selects the paths to
    write (e.g. one subproject's scope). Returns the number of files written.

    Blobs are read by ``cat-file --batch`` in batches of up to ``_BATCH_BYTES``, each answer read whole:
    no round trip per object (on a busy 2-core machine one request at a time cost 1-4 s per 1,000 files)."""
    cp = run(root, "ls-tree", "-r", "-z", "-l", "--full-tree", ref, "--", timeout=300)
    entries: list[tuple[str, int, str]] = []
    for rec in cp.stdout.split(b"\0"):
        meta, _, raw_path = rec.partition(b"\t")
        fields = meta.decode("ascii", "replace").split()
        if len(fields) != 4 or fields[1] != "blob" or fields[0] not in ("100644", "100755") or not fields[3].isdigit():
            continue
        path = os.fsdecode(raw_path)
        if keep is None or keep(path):
            entries.append((fields[2], int(fields[3]), path))
    dest.mkdir(parents=True, exist_ok=True)
    base = dest.resolve()
    written = 0
    batch: list[tuple[str, str]] = []
    batch_bytes = 0
    for oid, size, path in entries:
        if size > max_bytes:
            written += _write(base, path, b"")
            continue
        batch.append((oid, path))
        batch_bytes += size
        if batch_bytes >= _BATCH_BYTES or len(batch) >= _BATCH_FILES:
            written += _export_batch(root, base, batch)
            batch, batch_bytes = [], 0
    if batch:
        written += _export_batch(root, base, batch)
    return written


_BATCH_BYTES = 32 * 1024 * 1024
_BATCH_FILES = 5000


def _export_batch(root: Path, base: Path, batch: list[tuple[str, str]]) -> int:
    request = b"".join(oid.encode("ascii") + b"\n" for oid, _ in batch)
    cp = subprocess.run(["git", *config_args(), "cat-file", "--batch"], cwd=root, input=request, capture_output=True,
                        env=env(), timeout=600, check=False)
    out = memoryview(cp.stdout)
    pos = written = 0
    for _oid, path in batch:
        nl = cp.stdout.find(b"\n", pos)
        if nl < 0:
            break
        header = bytes(out[pos:nl]).split()
        pos = nl + 1
        if len(header) != 3 or not header[2].isdigit():
            continue  # "<oid> missing"
        size = int(header[2])
        data = out[pos : pos + size]
        pos += size + 1  # the newline after the object
        written += _write(base, path, data)
    return written


def _write(base: Path, path: str, data: bytes | memoryview) -> int:
    target = _safe_join(base, path)
    if target is None:
        return 0
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "wb") as fh:
        fh.write(data)
    return 1


def _safe_join(base: Path, rel: str) -> Path | None:
    """``base/rel`` when ``rel`` is a plain relative path that stays inside ``base`` (no ``..``, no
    absolute parts, no ``.git``), else None."""
    p = PurePosixPath(rel)
    if p.is_absolute() or any(part in ("..", "", ".git") for part in p.parts):
        return None
    return base.joinpath(*p.parts)


def resolve_ref(root: Path, ref: str) -> str | None:
    """The commit id ``ref`` names, or None. Refuses option-like refs."""
    if not ref or ref.startswith("-"):
        return None
    return out(root, "rev-parse", "--verify", "--quiet", "--end-of-options", ref + "^{commit}")
