"""Task-runner targets read from their files: make, just, Task, invoke, nox, tox, pyproject task tables
(poe, taskipy, pdm, rye, hatch), mise and package.json scripts. Parsed, never executed; each reader
returns ``[(target, line, tool)]`` for targets that do something (not only echo/true)."""

from __future__ import annotations

import ast
import re
from typing import Any

from mlscan.facts.pyast import walk
from mlscan.index import FileEntry, FileIndex

from ..lazyre import lazy_re

_PLACEHOLDER = lazy_re(r"^[@-]*\s*(echo\b|printf\b|true$|:$|exit 0$|pass$|#|todo\b)", re.IGNORECASE)


def _real(lines: list[str]) -> bool:
    """A recipe that does something (not only echo/true/comments)."""
    return any(ln.strip() and not _PLACEHOLDER.match(ln.strip()) for ln in lines)


def _line_of(text: str, pattern: str) -> int | None:
    m = re.search(pattern, text, re.MULTILINE)
    return text.count("\n", 0, m.start()) + 1 if m else None


Targets = list[tuple[str, int | None, str]]


def makefile_recipes(text: str) -> dict[str, tuple[list[str], list[str]]]:
    """target -> (prerequisites, recipe lines) of a Makefile's explicit rules (tab-indented recipe lines, stripped). A
    recipe line ending in a backslash goes on with the next one, which make hands to the same shell (the backslash and
    newline kept, the next line's leading tab removed): one command, not an option line read as a command of its own."""
    recipes: dict[str, tuple[list[str], list[str]]] = {}
    current: list[str] = []
    going_on = False
    for line in text.splitlines():
        if going_on and current:
            for t in current:
                recipes[t][1][-1] += "\n" + line.strip()
            going_on = line.rstrip().endswith("\\")
            continue
        if line.startswith("\t"):
            for t in current:
                recipes[t][1].append(line.strip())
            going_on = bool(current) and line.rstrip().endswith("\\")
            continue
        going_on = False
        m = re.match(r"^([A-Za-z0-9_.%/-][A-Za-z0-9_.%/ -]*)\s*:(?!=)\s*(.*)$", line)
        if m and not line.startswith("."):
            current = m.group(1).split()
            prereqs = [p for p in m.group(2).split("#")[0].split() if not p.startswith("$")]
            for t in current:
                recipes.setdefault(t, (prereqs, []))
        elif line.strip() and not line.startswith("#"):
            current = []
    return recipes


def _make(index: FileIndex, e: FileEntry) -> Targets:
    text = index.text(e.path) or ""
    out: Targets = []
    for name, (prereqs, lines) in makefile_recipes(text).items():
        if "%" in name or "$" in name or name.startswith("."):
            continue
        if _real(lines) or (prereqs and not lines):
            out.append((name, _line_of(text, rf"^{re.escape(name)}(\s+[^:=]*)?\s*:(?!=)"), ""))
    return sorted(out, key=lambda t: t[1] or 0)


_JUST_RECIPE = lazy_re(r"^@?(?P<name>[A-Za-z_][\w-]*)(?P<params>[^:=]*?):(?!=)(?P<deps>.*)$")


def _just(index: FileIndex, e: FileEntry) -> Targets:
    lines = (index.text(e.path) or "").splitlines()
    out: Targets = []
    i = 0
    while i < len(lines):
        m = _JUST_RECIPE.match(lines[i])
        i += 1
        if not m or m.group("name") in ("set", "alias", "export", "import", "mod"):
            continue
        body = []
        while i < len(lines) and (not lines[i].strip() or lines[i][:1] in (" ", "\t")):
            body.append(lines[i])
            i += 1
        if _real(body) or m.group("deps").strip():
            out.append((m.group("name"), i - len(body), ""))
    return out


def _taskfile(index: FileIndex, e: FileEntry) -> Targets:
    out: Targets = []
    for doc in index.yaml(e.path):
        tasks = doc.get("tasks") if isinstance(doc, dict) else None
        if not isinstance(tasks, dict):
            continue
        for name, spec in tasks.items():
            cmds: Any = spec.get("cmds") or spec.get("cmd") if isinstance(spec, dict) else spec
            deps = spec.get("deps") if isinstance(spec, dict) else None
            cmd_list = cmds if isinstance(cmds, list) else [cmds]
            text = [c if isinstance(c, str) else str((c or {}).get("cmd", "") if isinstance(c, dict) else "") for c in cmd_list]
            if _real(text) or deps:
                out.append((str(name), tasks.line_of(name), ""))
    return out


def _decorated(tree: ast.Module, attr: str) -> list[tuple[str, int]]:
    """Functions decorated with ``@<attr>`` / ``@x.<attr>`` / ``@<attr>(...)``; their (name, line)."""
    out = []
    for node in walk(tree):
        if not isinstance(node, ast.FunctionDef):
            continue
        for d in node.decorator_list:
            f = d.func if isinstance(d, ast.Call) else d
            name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
            if name == attr:
                label = node.name
                if isinstance(d, ast.Call):
                    label = next((str(k.value.value) for k in d.keywords if k.arg == "name" and isinstance(k.value, ast.Constant)), label)
                out.append((label.replace("_", "-") if attr == "task" else label, node.lineno))
                break
    return out


def _invoke(index: FileIndex, e: FileEntry) -> Targets:
    if not index.contains(e.path, (b"invoke",)):
        return []
    tree = index.python(e.path)
    if tree is None or not any(isinstance(n, ast.ImportFrom) and (n.module or "").split(".")[0] == "invoke" or
                               isinstance(n, ast.Import) and any(a.name.split(".")[0] == "invoke" for a in n.names)
                               for n in walk(tree)):
        return []
    return [(n, ln, "invoke") for n, ln in _decorated(tree, "task")]


def _nox(index: FileIndex, e: FileEntry) -> Targets:
    tree = index.python(e.path)
    return [(n, ln, "nox") for n, ln in _decorated(tree, "session")] if tree is not None else []


def _tox(index: FileIndex, e: FileEntry) -> Targets:
    text = index.text(e.path) or ""
    import configparser

    cp = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        cp.read_string(text)
    except configparser.Error:
        return []
    if not any(s == "testenv" or s.startswith("testenv:") for s in cp.sections()):
        return []
    names: list[str] = []
    for key in ("envlist", "env_list"):
        if cp.has_option("tox", key):
            names += [n.strip() for n in re.split(r"[,\n]", cp.get("tox", key)) if n.strip() and "{" not in n]
    names += [s.split(":", 1)[1] for s in cp.sections() if s.startswith("testenv:")]
    line = _line_of(text, r"^\[testenv[:\]]")
    return [(n, line, "tox") for n in dict.fromkeys(names or ["testenv"])]


def _pyproject(index: FileIndex, e: FileEntry) -> Targets:
    data = index.toml(e.path) or {}
    text = index.text(e.path) or ""
    tool = data.get("tool") if isinstance(data.get("tool"), dict) else {}
    out: Targets = []
    tables: list[tuple[str, str, Any]] = [
        ("poe", r"^\[tool\.poe(\.tasks)?", (tool.get("poe") or {}).get("tasks") if isinstance(tool.get("poe"), dict) else None),
        ("taskipy", r"^\[tool\.taskipy", (tool.get("taskipy") or {}).get("tasks") if isinstance(tool.get("taskipy"), dict) else None),
        ("pdm", r"^\[tool\.pdm\.scripts", (tool.get("pdm") or {}).get("scripts") if isinstance(tool.get("pdm"), dict) else None),
        ("rye", r"^\[tool\.rye\.scripts", (tool.get("rye") or {}).get("scripts") if isinstance(tool.get("rye"), dict) else None),
    ]
    hatch_envs = (tool.get("hatch") or {}).get("envs") if isinstance(tool.get("hatch"), dict) else None
    if isinstance(hatch_envs, dict):
        for env in hatch_envs.values():
            if isinstance(env, dict) and isinstance(env.get("scripts"), dict):
                tables.append(("hatch", r"^\[tool\.hatch\.envs\.[^\]]*scripts", env["scripts"]))
    for name, header, tasks in tables:
        if not isinstance(tasks, dict):
            continue
        line = _line_of(text, header)
        for task, spec in tasks.items():
            cmd = spec if isinstance(spec, str | list) else (spec.get("cmd") or spec.get("shell") or spec.get("script") or spec.get("sequence") or spec.get("ref")) if isinstance(spec, dict) else None
            cmds = [str(c) for c in cmd] if isinstance(cmd, list) else [str(cmd or "")]
            if _real(cmds):
                out.append((str(task), _line_of(text, rf"^\s*\"?{re.escape(str(task))}\"?\s*=") or line, name))
    return out


def _mise(index: FileIndex, e: FileEntry) -> Targets:
    data = index.toml(e.path) or {}
    text = index.text(e.path) or ""
    tasks = data.get("tasks")
    if not isinstance(tasks, dict):
        return []
    out: Targets = []
    for name, spec in tasks.items():
        run = spec if isinstance(spec, str | list) else (spec.get("run") or spec.get("depends") or spec.get("file")) if isinstance(spec, dict) else None
        cmds = [str(c) for c in run] if isinstance(run, list) else [str(run or "")]
        if _real(cmds):
            out.append((str(name), _line_of(text, rf"^\[tasks\.\"?{re.escape(str(name))}\"?\]") or _line_of(text, r"^\[tasks"), "mise"))
    return out


def _npm(index: FileIndex, e: FileEntry) -> Targets:
    data = index.json(e.path)
    scripts = data.get("scripts") if isinstance(data, dict) else None
    if not isinstance(scripts, dict):
        return []
    text = index.text(e.path) or ""
    return [(str(n), _line_of(text, rf"^\s*\"{re.escape(str(n))}\"\s*:"), "npm") for n, c in scripts.items() if isinstance(c, str) and _real([c])]


READERS = (
    ("make", ("**/Makefile", "**/makefile", "**/GNUmakefile", "**/*.mk"), _make),
    ("just", ("**/justfile", "**/Justfile", "**/.justfile"), _just),
    ("task", ("**/Taskfile.yml", "**/Taskfile.yaml", "**/taskfile.yml", "**/taskfile.yaml", "**/Taskfile.dist.yml"), _taskfile),
    ("invoke", ("**/tasks.py", "**/tasks/__init__.py"), _invoke),
    ("nox", ("**/noxfile.py",), _nox),
    ("tox", ("**/tox.ini",), _tox),
    ("pyproject", ("**/pyproject.toml",), _pyproject),
    ("mise", ("**/mise.toml", "**/.mise.toml", "**/.config/mise.toml", "**/mise/config.toml"), _mise),
    ("npm", ("**/package.json",), _npm),
)


def invoke_task_commands(tree: ast.Module, name: str) -> list[tuple[str, int, bool]]:
    """What an invoke task runs, in order: ``(command, line, warn)`` for each ``c.run(...)``/``c.sudo(...)`` of the
    ``@task`` function called ``name`` (dashes for underscores, or its ``@task(name=...)``), after its pre-tasks
    (``@task(other)``, ``@task(pre=[other])``) and the tasks its body calls, before its ``post=`` tasks. An f-string
    command keeps its literal parts (``{...}`` as ``$X``); ``warn=True`` marks a command whose failure does not fail
    the task (invoke raises on a failed command otherwise)."""
    tasks: dict[str, ast.FunctionDef] = {}
    for node in walk(tree):
        if isinstance(node, ast.FunctionDef):
            for label, _ln in _decorated(_single(node), "task"):
                tasks[label] = node
                tasks.setdefault(node.name, node)
    out: list[tuple[str, int, bool]] = []
    _task_commands(tasks, name, out, set())
    return out


def _single(fn: ast.FunctionDef) -> ast.Module:
    return ast.Module(body=[fn], type_ignores=[])


def _task_commands(tasks: dict[str, ast.FunctionDef], name: str, out: list[tuple[str, int, bool]], seen: set[str]) -> None:
    fn = tasks.get(name) or tasks.get(name.replace("-", "_"))
    if fn is None or fn.name in seen or len(seen) > 20:
        return
    seen.add(fn.name)
    deco = next((d for d in fn.decorator_list if isinstance(d, ast.Call)), None)
    pre = [*(deco.args if deco else ()), *(x for k in (deco.keywords if deco else ()) if k.arg == "pre" for x in _elts(k.value))]
    for p in pre:
        if isinstance(p, ast.Name):
            _task_commands(tasks, p.id, out, seen)
    for node in walk(ast.Module(body=fn.body, type_ignores=[])):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        if isinstance(f, ast.Attribute) and f.attr in ("run", "sudo") and node.args:
            text = _command_text(node.args[0])
            if text:
                warn = any(k.arg == "warn" and isinstance(k.value, ast.Constant) and k.value.value is True for k in node.keywords)
                out.append((text, node.lineno, warn))
        elif isinstance(f, ast.Name) and f.id in tasks:
            _task_commands(tasks, f.id, out, seen)
    for k in deco.keywords if deco else ():
        if k.arg == "post":
            for p in _elts(k.value):
                if isinstance(p, ast.Name):
                    _task_commands(tasks, p.id, out, seen)


def _elts(node: ast.expr) -> list[ast.expr]:
    return list(node.elts) if isinstance(node, (ast.List, ast.Tuple)) else [node]


def _command_text(node: ast.expr) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else "$X" for v in node.values)
    return ""
