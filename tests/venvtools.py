"""Helpers for tests that install mlscan for real: build the wheel once, make throw-away venvs.

A venv made with ``--system-site-packages`` from inside another venv sees the *base* interpreter's
packages, not the running venv's. So a fresh venv gets a ``.pth`` file listing the running
environment's site-packages directories instead: mlscan's dependencies (click, PyYAML, ...) come from
there without a download, while mlscan itself is the wheel installed into the new venv (the running
environment's editable install is a meta-path finder that a plain path entry does not activate).
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("pyproject.toml", "README.md", "LICENSE", "scanner", "detectors", "rules")
_WHEEL: Path | None = None


def _run(cmd: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(cmd, capture_output=True, text=True, env=env, check=False, timeout=600, **kw)  # type: ignore[call-overload]


def build_wheel() -> Path:
    """mlscan's wheel, built once per test session from a clean copy of the sources (the work tree is
    never written to)."""
    global _WHEEL
    if _WHEEL is not None and _WHEEL.exists():
        return _WHEEL
    tmp = Path(tempfile.mkdtemp(prefix="mlscan-wheel-"))
    atexit.register(shutil.rmtree, tmp, True)
    src = tmp / "src"
    src.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build", "dist")
    for name in SOURCES:
        p = ROOT / name
        if p.is_dir():
            shutil.copytree(p, src / name, ignore=ignore)
        elif p.exists():
            shutil.copy2(p, src / name)
    dist = tmp / "dist"
    cp = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(src)])
    if cp.returncode != 0:  # no index reachable for the isolated build env: try the running one
        cp2 = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dist), str(src)])
        if cp2.returncode != 0:
            raise RuntimeError(f"cannot build the mlscan wheel:\n{cp.stderr[-3000:]}\n{cp2.stderr[-3000:]}")
    wheels = sorted(dist.glob("mlscan-*.whl"))
    if len(wheels) != 1:
        raise RuntimeError(f"expected one mlscan wheel, got {wheels}")
    _WHEEL = wheels[0]
    return _WHEEL


def make_venv(path: Path) -> Path:
    """A venv at ``path`` that also sees the running environment's packages; returns its python."""
    cp = _run([sys.executable, "-m", "venv", str(path)])
    if cp.returncode != 0:
        raise RuntimeError(f"cannot create a venv: {cp.stderr}")
    py = path / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    purelib = _run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip()
    parents = []
    for p in sys.path:
        if p and os.path.isdir(p) and os.path.basename(p) in ("site-packages", "dist-packages") and not p.startswith(str(path)):
            parents.append(os.path.abspath(p))
    Path(purelib, "_running_env.pth").write_text("\n".join(dict.fromkeys(parents)) + "\n", encoding="utf-8")
    return py


def pip_install(py: Path, *args: str) -> None:
    cp = _run([str(py), "-m", "pip", "install", "-q", *args])
    if cp.returncode != 0:
        raise RuntimeError(f"pip install {' '.join(args)} failed:\n{cp.stdout[-2000:]}\n{cp.stderr[-3000:]}")


def bin_of(py: Path, name: str) -> Path:
    return py.parent / (name + (".exe" if os.name == "nt" else ""))


def run_in(py: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run a console script of the venv (``mlscan``), with the venv first on PATH."""
    env = {**os.environ, "NO_COLOR": "1", "PATH": f"{py.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("PYTHONPATH", None)
    return subprocess.run([str(bin_of(py, args[0])), *args[1:]], capture_output=True, text=True, env=env, cwd=cwd, timeout=300, check=False)
