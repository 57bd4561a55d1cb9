"""mlscan's dataclasses get their generated methods from stored code (scanner/dataclass_code.py): the same classes as
compiled ones, other modules' classes untouched, and a stored file of another Python or a broken one ignored."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest
from mlscan import dataclass_code

SOURCE = '''
from dataclasses import dataclass, field

@dataclass(frozen=True)
class Point:
    x: int
    y: int = 2
    tags: tuple = field(default=())

@dataclass(order=True)
class Box:
    name: str
    size: float = 1.5
'''


def _module(name: str) -> types.ModuleType:
    mod = types.ModuleType(name)
    sys.modules[name] = mod
    try:
        exec(compile(SOURCE, f"<{name}>", "exec", dont_inherit=True), mod.__dict__)  # noqa: S102 - the test's own class definitions
    finally:
        del sys.modules[name]
    return mod


def _behaviour(mod: types.ModuleType) -> list[Any]:
    p, q = mod.Point(1), mod.Point(1, 2, ("a",))
    try:
        p.x = 3  # type: ignore[misc]
        frozen = False
    except dataclasses.FrozenInstanceError:
        frozen = True
    b = mod.Box("a")
    return [repr(p), repr(q), p == mod.Point(1), p == q, hash(p) == hash(mod.Point(1)), frozen, repr(b),
            b < mod.Box("b"), mod.Box.__init__.__annotations__, mod.Point.__doc__]


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    assert dataclasses.exec is dataclass_code._exec  # type: ignore[attr-defined]  # installed by `import mlscan`
    path = tmp_path / "code.dataclasses"
    monkeypatch.setattr(sys, "dont_write_bytecode", False)  # as without PYTHONDONTWRITEBYTECODE
    monkeypatch.setattr(dataclass_code, "_codes", {})
    monkeypatch.setattr(dataclass_code, "_used", set())
    monkeypatch.setattr(dataclass_code, "_state", {"path": str(path), "dirty": False, "installed": True})
    return path


def test_stored_code_gives_the_same_classes(isolated: Path) -> None:
    plain = _behaviour(_module("thirdparty_models"))  # not mlscan's: compiled by exec as always, nothing stored
    assert dataclass_code._codes == {} and not dataclass_code._state["dirty"]
    first = _behaviour(_module("mlscan.fake_models"))
    assert dataclass_code._state["dirty"] and len(dataclass_code._codes) >= 6
    dataclass_code.save()
    assert isolated.exists() and not dataclass_code._state["dirty"]
    stored = dataclass_code._load(str(isolated))
    assert set(stored) == set(dataclass_code._codes)
    dataclass_code._codes.clear()
    dataclass_code._codes.update(stored)
    again = _behaviour(_module("mlscan.fake_models"))
    assert not dataclass_code._state["dirty"]  # every method came from the stored code
    assert plain[:-1] == first[:-1] == again[:-1] and first[-1] == again[-1]
    assert first[-2] == {"name": str, "size": float, "return": None}  # no __future__ flag leaks into the methods
    assert plain[-2] == first[-2]


def test_foreign_or_broken_files_are_ignored(isolated: Path) -> None:
    _module("mlscan.fake_models")
    dataclass_code.save()
    good = isolated.read_bytes()
    assert dataclass_code._load(str(isolated))
    isolated.write_bytes(b"\0\0\0\0" + good[4:])  # another Python's magic number
    assert dataclass_code._load(str(isolated)) == {}
    isolated.write_bytes(good[:4] + b"garbage")
    assert dataclass_code._load(str(isolated)) == {}
    isolated.write_bytes(good[:4] + __import__("marshal").dumps(["not", "a", "dict"]))
    assert dataclass_code._load(str(isolated)) == {}
    assert dataclass_code._load(str(isolated.with_name("missing"))) == {}


def test_nothing_written_when_bytecode_writing_is_off(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    _module("mlscan.fake_models")
    dataclass_code.save()
    assert not isolated.exists()


def test_a_fresh_process_writes_and_then_reuses_the_file(tmp_path: Path) -> None:
    prefix = tmp_path / "pycache"  # PYTHONPYCACHEPREFIX: where this interpreter keeps (and finds) mlscan's bytecode
    probe = ("import sys, mlscan.engine, mlscan.dataclass_code as d; "
             "print(d._state['path'] and d._state['path'].startswith(sys.argv[1]), len(d._codes), d._state['dirty'])")
    env_args = [sys.executable, "-X", f"pycache_prefix={prefix}", "-c", probe, str(prefix)]
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")}
    first = subprocess.run(env_args, capture_output=True, text=True, check=True, timeout=60, env=env).stdout.split()
    second = subprocess.run(env_args, capture_output=True, text=True, check=True, timeout=60, env=env).stdout.split()
    assert first[0] == "True" and first[2] == "True"  # compiled and stored
    assert second[0] == "True" and second[2] == "False" and int(second[1]) >= int(first[1]) > 50  # all reused


def test_a_store_someone_else_could_have_written_is_ignored(isolated: Path, tmp_path: Path) -> None:
    """Marshalled code is trusted like a .pyc: only a regular file of this user, writable by nobody else, in a
    directory nobody else may write into, is read; a symbolic link is never followed."""
    _module("mlscan.fake_models")
    dataclass_code.save()
    assert dataclass_code._load(str(isolated))
    os.chmod(isolated, 0o666)
    assert dataclass_code._load(str(isolated)) == {}
    os.chmod(isolated, 0o644)
    assert dataclass_code._load(str(isolated))
    os.chmod(isolated.parent, 0o777)  # a shared directory without the sticky bit: anyone may replace the file
    try:
        assert dataclass_code._load(str(isolated)) == {}
    finally:
        os.chmod(isolated.parent, 0o700)
    link = tmp_path / "link.dataclasses"
    link.symlink_to(isolated)
    assert dataclass_code._load(str(link)) == {}
    if os.geteuid() == 0:  # only root can give the file to another user
        os.chown(isolated, 12345, -1)
        assert dataclass_code._load(str(isolated)) == {}


def test_only_dataclass_texts_of_imported_mlscan_modules_are_stored(isolated: Path) -> None:
    text = "def __create_fn__():\n def f(self):\n  return 1\n return f"
    ns: dict[str, Any] = {}
    dataclasses.exec(text, {"__name__": "mlscan.fake_models"}, ns)  # type: ignore[attr-defined]  # a dict posing as mlscan's
    assert ns["__create_fn__"]()(None) == 1 and dataclass_code._codes == {}  # run as exec would, not stored
    dataclasses.exec("x = 1", vars(dataclass_code), {})  # type: ignore[attr-defined]  # an mlscan module, not a dataclasses text
    assert dataclass_code._codes == {}
    _module("mlscan.fake_models")
    assert dataclass_code._codes and all(t.startswith("def __create_fn__(") for t in dataclass_code._codes)


def test_stored_code_of_another_shape_is_dropped(isolated: Path) -> None:
    import marshal

    _module("mlscan.fake_models")
    text = next(iter(dataclass_code._codes))
    planted = {
        text: compile("import os\ndef __create_fn__():\n pass", "<string>", "exec", dont_inherit=True),  # runs more
        "print('x')": compile("print('x')", "<string>", "exec", dont_inherit=True),  # not a dataclasses text
    }
    isolated.write_bytes(dataclass_code._magic() + marshal.dumps({**dataclass_code._codes, **planted}))
    loaded = dataclass_code._load(str(isolated))
    assert "print('x')" not in loaded and text not in loaded
    assert len(loaded) == len(dataclass_code._codes) - 1  # every genuine entry but the replaced one kept


def test_no_other_module_compiles_runs_or_unmarshals_code() -> None:
    """Nothing a scan reads can reach exec: the only exec/eval/compile/marshal/make_dataclass calls in mlscan are the
    dataclass hook's, on texts ``dataclasses`` made from mlscan's own classes."""
    import ast

    root = Path(dataclass_code.__file__).resolve().parent
    found = []
    for base in (root, root.parent / "detectors"):
        for path in sorted(base.rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call):
                    f = node.func
                    name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
                    owner = f.value.id if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) else ""
                    if name in ("exec", "eval", "compile", "make_dataclass") and owner not in ("re", "lazyre") or (
                        owner == "marshal" and name.startswith("load")
                    ):
                        found.append(f"{path.relative_to(root.parent)}:{node.lineno}")
    assert found and all(p.startswith("scanner/dataclass_code.py:") for p in found), found
