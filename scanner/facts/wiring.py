"""Is a file on an automated path? Static wiring from CI commands, pipeline stages, container entry
points and orchestrator definitions, following the project's own imports with ``ast`` only.

``automated``: reached from CI, a DVC stage, a container CMD/ENTRYPOINT or an orchestrator definition.
``entrypoint``: reached only from a ``__main__`` script, console script, Makefile target or MLproject.
Nothing is imported or executed; the graph is built from text.
"""

from __future__ import annotations

import ast
from bisect import bisect_left
from collections import deque
from collections.abc import Iterable, Iterator
from typing import Any

from ..ci import argv, ci_model
from ..index import FileEntry, FileIndex, register_fact
from ..valueclass import Value, setfield
from .commands import Invoked, invoked, normpath
from .dvc_stages import dvc_files
from .own_packages import own_names
from .pyast import statement_walk, statements, walk
from .sagemaker_sdk import PIPELINE_MODULES

AUTOMATED = "automated"
ENTRYPOINT = "entrypoint"
MAX_FILES = 3000
ORCHESTRATOR_MODULES = (
    "airflow", "prefect", "dagster", "kfp", "metaflow", "zenml", "flytekit", *PIPELINE_MODULES,
    "azure.ai.ml", "azureml.pipeline", "tfx", "kedro", "luigi", "ray.workflow",
)
# files worth parsing for orchestrator imports or a ``__main__`` guard (word-level, see FileIndex.mentions)
SCRIPT_NEEDLES = tuple(dict.fromkeys(m.split(".")[0].encode() for m in ORCHESTRATOR_MODULES)) + (b"__main__",)
_PY_RUNNERS = {"python", "python3", "python3.8", "python3.9", "python3.10", "python3.11", "python3.12", "python3.13", "py"}
_SHELLS = {"bash", "sh", "zsh", "source", "."}
_WRAPPERS = {"poetry", "uv", "pipenv", "conda", "pdm", "hatch", "rye", "time", "nohup", "sudo", "docker-compose", "env"}


class Reach(Value, frozen=True):
    """How a file is reached by an automated path or an entry point, root first."""

    kind: str  # automated | entrypoint
    chain: tuple[str, ...]  # how it is reached, root first ("ci .github/workflows/x.yml:12", "src/train.py", ...)

    _fields = ("kind", "chain")
    __slots__ = _fields

    def __init__(self, kind: str, chain: tuple[str, ...]) -> None:
        setfield(self, "kind", kind)
        setfield(self, "chain", chain)

    def describe(self) -> str:
        return " -> ".join(self.chain)


def _module_parts(vpath: str) -> list[str]:
    """``src/pkg/mod.py`` -> [src, pkg, mod]; a package's ``__init__.py`` is the package."""
    parts = vpath[:-3].split("/")
    return parts[:-1] if parts[-1] == "__init__" else parts


class _Modules:
    """The project's Python files by module name: which file an import statement of a file leads to."""

    def __init__(self, index: FileIndex) -> None:
        self.py = {e.vpath: e for e in index.select(("**/*.py",))}
        # module name -> files; a dotted import matches files whose path ends with its parts
        self.by_name: dict[str, list[str]] = {}
        for vp in self.py:
            parts = _module_parts(vp)
            if parts:
                self.by_name.setdefault(parts[-1], []).append(vp)

    def files(self, dotted: str) -> list[str]:
        """Project files that ``import dotted`` can mean: any source root, so a suffix of the path."""
        want = dotted.split(".")
        return [vp for vp in self.by_name.get(want[-1], ()) if _module_parts(vp)[-len(want):] == want]

    def followed(self, modules: list[str], vpath: str) -> Iterator[str]:
        """The project file each imported module (``_modules_of``) of the file at ``vpath`` leads to: the module's own
        file, else its package's (``from pkg import name``), the one nearest ``vpath`` when several match."""
        for dotted in modules:
            for cand in (dotted, dotted.rsplit(".", 1)[0] if "." in dotted else ""):
                paths = self.files(cand) if cand else None
                if paths:
                    yield min(paths, key=lambda p: _distance(p, vpath))
                    break


class Wiring:
    def __init__(self, index: FileIndex) -> None:
        self.index = index
        self._names = _Modules(index)
        self._py = self._names.py
        self._py_sorted: list[str] | None = None  # the paths of self._py in order (_has_python_below)
        self.reach: dict[str, Reach] = {}
        self.tests: dict[str, Reach] = {}  # file or directory a pytest command collects -> how that command runs
        # while following a job spec's ``entrypoint:`` (Ray/Anyscale/KubeRay job submitted by a command) only the
        # tests it collects are recorded: the automated reach of code stays what CI, DVC and containers run
        self._tests_only = False
        self._spec_scripts: set[str] = set()
        self._queue: deque[tuple[str, Reach]] = deque()
        # imports of the root scripts parsed by _roots, for _follow (their trees may have left the parse cache by
        # then: an orchestrator's own repository has hundreds of roots); emptied as it is used
        self._root_imports: dict[str, list[str]] = {}
        self._offered: set[str] = set()  # files whose imports _prefetch offered to derive (once each)
        self._roots()
        self._follow()
        self._root_imports.clear()

    def _modules(self, dotted: str) -> list[str]:
        return self._names.files(dotted)

    # ---------------------------------------------------------------- roots
    def _add(self, vpath: str, reach: Reach) -> None:
        if self._tests_only:
            return
        old = self.reach.get(vpath)
        if old is None or (old.kind == ENTRYPOINT and reach.kind == AUTOMATED):
            self.reach[vpath] = reach
            self._queue.append((vpath, reach))

    def _roots(self) -> None:
        ix = self.index
        for job in ci_model(ix).active_jobs():
            for step, cmd in job.commands():
                self._command(cmd, Reach(AUTOMATED, (f"ci {step.path}:{step.line}",)), base=step.cwd or _dir_of(step.path), at=(step.path, step.line),
                              cwd=step.cwd)
        for f in dvc_files(ix):
            e = f.entry
            for _, stages in f.documents:
                for name, st in stages.items():
                    cmd = st.get("cmd") if isinstance(st, dict) else None
                    cmds = cmd if isinstance(cmd, list) else [cmd]
                    for c in cmds:
                        if isinstance(c, str):
                            self._command(c, Reach(AUTOMATED, (f"dvc stage {e.path}:{stages.line_of(name)}",)), base=_dir_of(e.vpath),
                                          at=(e.path, stages.line_of(name)), cwd=_dir_of(e.vpath))
        for e in ix.select(("**/Dockerfile", "**/Dockerfile.*", "**/Dockerfile-*", "**/dockerfile", "**/dockerfile.*", "**/*.Dockerfile", "**/*.dockerfile")):
            for ins in ix.dockerfile(e.path):
                if ins.instruction in ("CMD", "ENTRYPOINT"):
                    cmd = exec_form(ins.value)
                    self._command(cmd, Reach(AUTOMATED, (f"container {e.path}:{ins.line}",)), base=_dir_of(e.vpath), at=(e.path, ins.line))
        # containers declared in YAML outside CI (Kubernetes pods, jobs and CronJobs, Argo/Tekton steps, Compose services, KFP
        # component specs): what their command runs is on the automated path like a Dockerfile's CMD
        ci_files = {j.path for j in ci_model(ix).jobs}
        for e in ix.select(("**/*.yml", "**/*.yaml")):
            if e.path in ci_files or not ix.contains(e.path, (b"image", b"build")) or not ix.contains(e.path, (b"command", b"args", b"script")):
                continue
            for doc in ix.yaml(e.path):
                for cmd, line in container_commands(doc):
                    self._command(cmd, Reach(AUTOMATED, (f"container {e.path}:{line}",)), base=_dir_of(e.vpath), at=(e.path, line))
        for e in ix.select(("**/Procfile",)):
            for n, row in enumerate((ix.text(e.path) or "").splitlines(), 1):
                name, sep, cmd = row.partition(":")
                if sep and name.strip() and not name.lstrip().startswith("#") and cmd.strip():
                    self._command(cmd.strip(), Reach(AUTOMATED, (f"container {e.path}:{n}",)), base=_dir_of(e.vpath), at=(e.path, n))
        for e in ix.select(("**/*.yml", "**/*.yaml")):
            if ix.contains(e.path, (b"azuremlschemas", b"azureml:")) and ix.contains(e.path, (b"command",)):
                for doc in ix.yaml(e.path):
                    for cmd, code, line in _azureml_commands(doc):
                        base = normpath(f"{_dir_of(e.vpath)}/{code}".strip("/")) if code else _dir_of(e.vpath)
                        self._command(cmd, Reach(AUTOMATED, (f"azureml job {e.path}:{line}",)), base=base, at=(e.path, line), cwd=base)
        for e in ix.select(("**/*.yml", "**/*.yaml")):
            if ix.contains(e.path, (b"resources",)) and ix.contains(e.path, (b"_task",)):
                for doc in ix.yaml(e.path):
                    for kind, target, line in databricks_task_targets(doc):
                        self._databricks_task(kind, target, Reach(AUTOMATED, (f"databricks job {e.path}:{line}",)), _dir_of(e.vpath))
        for e in ix.select(("**/MLproject",)):
            for doc in ix.yaml(e.path):
                eps = doc.get("entry_points") if isinstance(doc, dict) else None
                if isinstance(eps, dict):
                    for name, ep in eps.items():
                        cmd = ep.get("command") if isinstance(ep, dict) else None
                        if isinstance(cmd, str):
                            self._command(cmd, Reach(ENTRYPOINT, (f"MLproject {e.path}:{eps.line_of(name)}",)), base=_dir_of(e.vpath),
                                          at=(e.path, eps.line_of(name)), cwd=_dir_of(e.vpath))
        for e in ix.select(("**/pyproject.toml",)):
            data = ix.toml(e.path) or {}
            scripts = (data.get("project") or {}).get("scripts") or (data.get("tool", {}).get("poetry") or {}).get("scripts") or {}
            if isinstance(scripts, dict):
                for name, target in scripts.items():
                    if isinstance(target, str):
                        self._module(target.split(":")[0], Reach(ENTRYPOINT, (f"console script {name} ({e.path})",)), base="")
        # containers a Python file declares (a KFP ``dsl.ContainerSpec``, Airflow's ``KubernetesPodOperator``, a Kubernetes
        # client's ``V1Container``): part of the pipeline the file defines (automated), else of the script that declares it
        for vp, e in self._py.items():
            if ix.mentions(e.path, _CONTAINER_WORDS) and ix.mentions(e.path, _PYTHON_WORDS):
                found = ix.fact(e.path, CONTAINER_FACTS) or []
                facts = ix.fact(e.path, FILE_FACTS) if found else None
                for cmd, line in found:
                    kind = AUTOMATED if facts is not None and orchestrated(ix, facts) else ENTRYPOINT
                    self._command(cmd, Reach(kind, (f"container {e.path}:{line}",)), base=_dir_of(vp), at=(e.path, line))
        # orchestrator definitions and __main__ scripts
        for vp, e in self._py.items():
            if not may_be_root(ix, e.path):
                continue
            facts = ix.fact(e.path, FILE_FACTS)
            if facts is None:
                continue
            _, main, imports = facts
            if orchestrated(ix, facts):
                self._add(vp, Reach(AUTOMATED, (f"pipeline definition {e.path}",)))
            elif main:
                self._add(vp, Reach(ENTRYPOINT, (f"__main__ script {e.path}",)))
            else:
                continue
            if len(self._root_imports) < MAX_FILES:
                self._root_imports[vp] = _modules_of(imports, vp)

    def _command(self, cmd: str, reach: Reach, base: str, at: tuple[str, int], depth: int = 0, cwd: str = "") -> None:
        """Follow one command written at ``at`` (path, line), run in ``cwd`` ('' = not known), whose file arguments are
        looked for from ``base`` first: the Python file, module, notebook or
        tests it runs, and (through commands.invoked) the commands of the scripts, Makefile targets, task-runner tasks
        and job specs it calls."""
        if depth > 4:
            return
        words = argv(cmd)
        while words and (words[0] in _WRAPPERS or words[0] in ("run", "exec") or "=" in words[0] or words[0].startswith("-")):
            words = words[1:]
        if not words:
            return
        head = words[0].rsplit("/", 1)[-1]
        if (head in _PY_RUNNERS or head.startswith("python")) and words[1:3] == ["-m", "pytest"]:
            self._pytest(words[3:], reach, base)
            return
        if head in _PY_RUNNERS or head.startswith("python"):
            rest = [w for w in words[1:] if not w.startswith("-") or w == "-m"]
            if rest[:1] == ["-m"] and len(rest) > 1:
                self._module(rest[1], reach, base)
            elif rest:
                self._file(rest[0], reach, base)
            return
        if head.endswith(".py"):
            self._file(words[0], reach, base)
            return
        if head in ("pytest", "py.test"):
            self._pytest(words[1:], reach, base)
            return
        if head == "dvc" and len(words) > 1 and words[1] in ("repro", "exp"):
            return  # dvc stages are roots on their own
        if head in ("papermill", "jupyter"):
            nb = next((w for w in words[1:] if w.endswith(".ipynb")), None)
            if nb:
                self._file(nb, reach, base)
            return
        subs = invoked(self.index, cmd, at[0], at[1], cwd)
        self._invoked(subs, reach, base, depth)
        if head in _SHELLS or head.endswith(".sh") or head in ("make", "gmake") or any(s.via not in ("entrypoint", "ray") for s in subs):
            return
        # console script of the project itself
        for e in self.index.select(("**/pyproject.toml",)):
            data = self.index.toml(e.path) or {}
            scripts = (data.get("project") or {}).get("scripts") or {}
            if isinstance(scripts, dict) and isinstance(scripts.get(head), str):
                self._module(scripts[head].split(":")[0], Reach(reach.kind, (*reach.chain, f"console script {head}")), base="")

    def _invoked(self, subs: list[Invoked], reach: Reach, base: str, depth: int) -> None:
        """Follow the commands a command runs. A script is reached itself (once: a script already reached is not
        followed again) and the files its commands name are looked for beside it first; a Makefile target's in the
        make directory (``-C``), a task's beside its task file. A job spec's ``entrypoint:`` (or ``ray ... --``) records
        only the tests it collects: the automated reach of code stays what CI, DVC and containers run."""
        done: set[str] = set()
        for s in subs:
            e = s.file
            if s.via == "script":
                if e.path not in done:
                    if e.vpath in self.reach or (self._tests_only and e.vpath in self._spec_scripts):
                        return
                    done.add(e.path)
                    if self._tests_only:
                        self._spec_scripts.add(e.vpath)
                    else:
                        self.reach[e.vpath] = Reach(reach.kind, (*reach.chain, e.path))
                self._command(s.text, Reach(reach.kind, (*reach.chain, f"{e.path}:{s.line}")), _dir_of(e.vpath), (e.path, s.line), depth + 1,
                              s.cwd)
            elif s.via in ("entrypoint", "ray"):
                r = Reach(reach.kind, (*reach.chain, f"{e.path}:{s.line}"))
                prev, self._tests_only = self._tests_only, True
                try:
                    self._command(s.text, r, _dir_of(e.vpath) if s.via == "entrypoint" else base, (e.path, s.line), depth + 1, s.cwd)
                finally:
                    self._tests_only = prev
            else:  # a Makefile target or a task runner's task
                where = (s.cwd or base) if s.via.startswith("make ") else _dir_of(e.vpath)
                self._command(s.text, Reach(reach.kind, (*reach.chain, f"{s.via} ({e.path})")), where, (e.path, s.line), depth + 1, s.cwd)

    def _databricks_task(self, kind: str, target: str, reach: Reach, base: str) -> None:
        """A bundle job task's code: a ``python_file`` or ``notebook_path`` relative to the file that declares the task
        (a notebook path may leave out ``.py``/``.ipynb``), or a wheel task's entry point, a console script of the project."""
        if kind == "entry_point":
            for e in self.index.select(("**/pyproject.toml",)):
                scripts = ((self.index.toml(e.path) or {}).get("project") or {}).get("scripts") or {}
                if isinstance(scripts, dict) and isinstance(scripts.get(target), str):
                    self._module(scripts[target].split(":")[0], Reach(reach.kind, (*reach.chain, f"console script {target}")), base="")
            return
        if "${" in target or "{{" in target:
            return
        for rel in (target, f"{target}.py", f"{target}.ipynb") if not target.endswith((".py", ".ipynb")) else (target,):
            e = self._resolve(rel, base)
            if e is not None:
                self._add(e.vpath, Reach(reach.kind, (*reach.chain, e.path)))
                return

    def _resolve(self, rel: str, base: str) -> FileEntry | None:
        rel = rel.strip("'\"").lstrip("./") if not rel.startswith("../") else rel
        sub = self.index.target.subdir
        for cand in (f"{base}/{rel}" if base else rel, f"{sub}/{rel}" if sub else rel, rel):
            cand = normpath(cand)
            hit = self._py.get(cand) or next(iter(self.index.select((cand,))), None)
            if hit:
                return hit
        return None

    def _file(self, rel: str, reach: Reach, base: str) -> None:
        e = self._resolve(rel, base)
        if e:
            self._add(e.vpath, Reach(reach.kind, (*reach.chain, e.path)))

    def _module(self, dotted: str, reach: Reach, base: str) -> None:
        for vp in self._modules(dotted) or self._modules(dotted + ".__main__"):
            self._add(vp, Reach(reach.kind, (*reach.chain, self._py[vp].path)))
            break

    def _pytest(self, args: list[str], reach: Reach, base: str) -> None:
        """Test files a ``pytest`` command collects: kept apart from ``reach`` (tests run, they are not on the
        automated path of the code they test); evidence cites the chain."""
        for a in args:
            if a.startswith("-") or "=" in a:
                continue
            rel = a.split("::")[0].strip("'\"")
            for cand in (f"{base}/{rel}" if base else rel, rel):
                cand = normpath(cand)
                if cand and (cand in self._py or self._has_python_below(cand)):
                    self.tests.setdefault(cand, Reach(reach.kind, (*reach.chain, f"pytest {a}")))
                    break

    def _has_python_below(self, folder: str) -> bool:
        """Is a project Python file below ``folder``? By bisection of the sorted paths: each argument of each pytest
        command was compared with every Python file (PrefectHQ/prefect: ~640,000 comparisons in the scanning process)."""
        if self._py_sorted is None:
            self._py_sorted = sorted(self._py)
        prefix = folder + "/"
        i = bisect_left(self._py_sorted, prefix)
        return i < len(self._py_sorted) and self._py_sorted[i].startswith(prefix)

    def test_run(self, vpath: str) -> Reach | None:
        """How a test file is run by an automated ``pytest`` command (None when nothing runs it)."""
        for prefix, r in self.tests.items():
            if vpath == prefix or vpath.startswith(prefix + "/"):
                return r
        return None

    # ---------------------------------------------------------------- imports
    def _follow(self) -> None:
        seen = 0
        while self._queue and seen < MAX_FILES:
            vp, reach = self._queue.popleft()
            seen += 1
            e = self._py.get(vp) or next(iter(self.index.select((vp,))), None)
            if e is None or not (vp.endswith(".py") or vp.endswith(".ipynb")):
                continue
            modules = self._root_imports.pop(vp, None)
            if modules is None and vp not in self._offered:
                self._prefetch(vp, MAX_FILES - seen)
            if modules is None:
                facts = self.index.fact(e.path, FILE_FACTS)
                if facts is None:
                    continue
                modules = _modules_of(facts[2], vp)
            for best in self._names.followed(modules, vp):
                self._add(best, Reach(reach.kind, (*reach.chain, self._py[best].path)))

    def _prefetch(self, vpath: str, room: int) -> None:
        """The imports of a file not parsed yet are needed: those of the other queued files not parsed yet will be too
        (the queue is the breadth-first frontier), so they are derived together, by a parallel scan's workers when the
        frontier is large enough (PrefectHQ/prefect: ~400 files its CI's scripts reach, in 4 rounds; ImportFrontier has
        derived those the Python roots reach before). Each file is offered once: one too few to fork for is parsed here."""
        todo: list[str] = []
        for vp in [vpath, *(v for v, _ in list(self._queue)[:room])]:
            e = self._py.get(vp)
            if vp in self._offered or e is None:
                continue
            self._offered.add(vp)
            if vp not in self._root_imports and not self.index.fact_at_hand(e.path, FILE_FACTS):
                todo.append(e.path)
        self.index.prefetch_facts(FILE_FACTS, todo)

    # ---------------------------------------------------------------- queries
    def of(self, vpath: str) -> Reach | None:
        return self.reach.get(vpath)

    def automated(self, vpath: str) -> bool:
        r = self.reach.get(vpath)
        return r is not None and r.kind == AUTOMATED


def wiring(index: FileIndex) -> Wiring:
    """The wiring graph of the scan; the facts cache keeps it (reach and tests) between scans."""
    return index.memo("wiring", lambda: Wiring(index), (_encode, lambda data: _decode(index, data)))  # type: ignore[no-any-return]


def _encode(w: Wiring) -> dict[str, Any]:
    return {"reach": [[vp, r.kind, list(r.chain)] for vp, r in w.reach.items()],
            "tests": [[vp, r.kind, list(r.chain)] for vp, r in w.tests.items()]}


def _decode(index: FileIndex, data: dict[str, Any]) -> Wiring:
    """A Wiring as built, from _encode's form: what its queries (of, automated, test_run, reach) read."""
    w = Wiring.__new__(Wiring)
    w.index = index
    w.reach = {vp: Reach(kind, tuple(chain)) for vp, kind, chain in data["reach"]}
    w.tests = {vp: Reach(kind, tuple(chain)) for vp, kind, chain in data["tests"]}
    return w


# -------------------------------------------------------------------- helpers


def _azureml_commands(doc: object) -> Iterator[tuple[str, str, int]]:
    """(command, code directory, line) of an Azure ML job or component YAML (``$schema`` of azuremlschemas: a command
    job/component, or each job of a pipeline job): the scripts a submitted job runs on the workspace's compute."""
    if not isinstance(doc, dict) or "azuremlschemas" not in str(doc.get("$schema", "")):
        return
    nodes = [doc]
    jobs = doc.get("jobs")
    if isinstance(jobs, dict):
        nodes += [j for j in jobs.values() if isinstance(j, dict)]
    for n in nodes:
        cmd = n.get("command")
        if not isinstance(cmd, str):
            continue
        code = n.get("code") if n.get("code") is not None else doc.get("code")
        code = code.get("local_path") if isinstance(code, dict) else code
        code = code if isinstance(code, str) and not code.startswith(("azureml:", "http", "git+")) else ""
        line = n.line_of("command") if hasattr(n, "line_of") else 0
        yield " ".join(cmd.split()), code, line or 0


def databricks_task_targets(doc: object) -> Iterator[tuple[str, str, int]]:
    """(kind, target, line) of each task of a Databricks bundle's ``resources.jobs`` (a ``for_each_task`` runs its inner
    task): ``python_file`` of a ``spark_python_task``, ``notebook_path`` of a ``notebook_task`` (workspace sources), and
    ``entry_point`` of a ``python_wheel_task``."""
    res = doc.get("resources") if isinstance(doc, dict) else None
    jobs = res.get("jobs") if isinstance(res, dict) else None
    if not isinstance(jobs, dict):
        return
    for job in jobs.values():
        tasks = job.get("tasks") if isinstance(job, dict) else None
        todo = [t for t in tasks if isinstance(t, dict)] if isinstance(tasks, list) else []
        while todo:
            t = todo.pop(0)
            inner = t.get("for_each_task")
            if isinstance(inner, dict) and isinstance(inner.get("task"), dict):
                todo.append(inner["task"])
            for key, field in (("spark_python_task", "python_file"), ("notebook_task", "notebook_path"), ("python_wheel_task", "entry_point")):
                spec = t.get(key)
                if isinstance(spec, dict) and isinstance(spec.get(field), str) and str(spec.get("source", "")).upper() != "GIT":
                    kind = "entry_point" if field == "entry_point" else "file"
                    yield kind, spec[field], getattr(spec, "line_of", lambda _k: 0)(field) or getattr(t, "line", 0) or 0


def _words(value: object) -> list[str]:
    """A command or argument list as written: a string is one shell line; a list's strings up to the first value that is
    not one (a KFP placeholder such as ``{inputPath: data}``)."""
    if isinstance(value, str):
        return [value]
    out: list[str] = []
    for v in value if isinstance(value, list) else ():
        if not isinstance(v, (str, int, float)) or isinstance(v, bool):
            break
        out.append(str(v))
    return out


def _lines(words: list[str]) -> list[str]:
    """The command lines of a container's argv: ``sh -c "a && b"`` runs each line of its script, else the argv is one line."""
    if len(words) > 2 and words[0].rsplit("/", 1)[-1] in ("sh", "bash", "zsh") and words[1] in ("-c", "-ec", "-ex", "-xc", "-lc"):
        script = words[2]
        return [p.strip() for row in script.splitlines() for p in row.replace("&&", ";").split(";") if p.strip()]
    return [" ".join(w if w and " " not in w else repr(w) for w in words)] if words else []


def container_commands(doc: object, depth: int = 0) -> Iterator[tuple[str, int]]:
    """(command line, line) of each container a YAML document declares outside CI: a mapping with an ``image`` (or a
    Compose ``build``) and an ``entrypoint``/``command``/``args`` argv (Kubernetes containers, Argo templates, Compose
    services, KFP component specs), or a step ``script`` (Tekton) whose lines are commands."""
    if depth > 12:
        return
    if isinstance(doc, list):
        for v in doc:
            yield from container_commands(v, depth + 1)
        return
    if not isinstance(doc, dict):
        return
    line_of = getattr(doc, "line_of", lambda _k: 0)
    if "image" in doc or "build" in doc:
        words = _words(doc.get("entrypoint")) + _words(doc.get("command")) + _words(doc.get("args"))
        key = next((k for k in ("entrypoint", "command", "args") if doc.get(k)), "")
        for cmd in _lines(words) if len(words) != 1 else [words[0]]:
            yield cmd, line_of(key) or 0
        script = doc.get("script")
        if isinstance(script, str) and "source" not in doc:
            for row in script.splitlines():
                row = row.strip()
                if row and not row.startswith("#"):
                    yield row, line_of("script") or 0
    for v in doc.values():
        if isinstance(v, (dict, list)):
            yield from container_commands(v, depth + 1)


# a Python file that may declare a container running Python (Wiring._roots)
_CONTAINER_WORDS = (b"command", b"cmds")
_PYTHON_WORDS = (b"python", b"python3")


def _container_facts(index: FileIndex, path: str) -> list[list[Any]] | None:
    """``python_container_commands`` of one file as [command line, line] pairs; None when it does not parse. A file fact,
    derived as the file is parsed (a parallel scan's words phase parses these files in its workers): the graph, built by
    the scanning process alone, then parses none of them (PrefectHQ/prefect: ~150 files, 0.75 s of its CPU)."""
    tree = index.python(path)
    return None if tree is None else [[cmd, line] for cmd, line in python_container_commands(tree)]


CONTAINER_FACTS = register_fact("wiring.containers", _container_facts,
                                eager=lambda index, path: index.may_mention(path, _CONTAINER_WORDS) and index.may_mention(path, _PYTHON_WORDS))


def python_container_commands(tree: ast.AST) -> Iterator[tuple[str, int]]:
    """(command line, line) of each container a Python file declares with literal strings: a call with a ``command=``
    argv (KFP ``dsl.ContainerSpec``/``ContainerOp``, ``V1Container``, Hera's ``Container``; Airflow's ``KubernetesPodOperator``
    ``cmds=``) and its ``args=``/``arguments=``
    up to the first value that is not a string (``ContainerSpec``'s command may also be its second positional argument)."""
    for node in walk(tree):  # the module's node list (ast.walk's order), kept on the tree for its other walks
        if not isinstance(node, ast.Call):
            continue
        kw = {k.arg: k.value for k in node.keywords if k.arg}
        cmd = kw.get("command") or kw.get("cmds")  # ``cmds=``/``arguments=``: Airflow's KubernetesPodOperator
        name = node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id if isinstance(node.func, ast.Name) else ""
        if cmd is None and name == "ContainerSpec" and len(node.args) > 1:
            cmd = node.args[1]
        if cmd is None:
            continue
        words = _literal_words(cmd) + _literal_words(kw.get("args") or kw.get("arguments"))
        for line in _lines(words) if len(words) != 1 else words:
            yield line, getattr(cmd, "lineno", node.lineno)


def _literal_words(node: ast.AST | None) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    out: list[str] = []
    for v in node.elts if isinstance(node, (ast.List, ast.Tuple)) else ():
        if not (isinstance(v, ast.Constant) and isinstance(v.value, str)):
            break
        out.append(v.value)
    return out


def _dir_of(path: str) -> str:
    return path.rsplit("/", 1)[0] if "/" in path else ""


def _distance(a: str, b: str) -> int:
    pa, pb = a.split("/"), b.split("/")
    common = 0
    for x, y in zip(pa, pb):
        if x != y:
            break
        common += 1
    return len(pa) + len(pb) - 2 * common


def exec_form(value: str) -> str:
    """A Dockerfile CMD/ENTRYPOINT's command line: the JSON exec form joined, else the shell form as written."""
    v = value.strip()
    if v.startswith("["):
        try:
            import json

            parts = json.loads(v)
            if isinstance(parts, list):
                return " ".join(str(p) for p in parts)
        except (ValueError, RecursionError):  # not JSON, or nested deeper than the decoder goes: the shell form
            pass
    return v


def imports_any(tree: ast.AST, modules: tuple[str, ...]) -> bool:
    """Does ``tree`` import one of ``modules`` (or a submodule)? Imports are statements: no expression is walked."""
    for node in statement_walk(tree):
        if isinstance(node, ast.Import):
            if any(_is_mod(a.name, modules) for a in node.names):
                return True
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if _is_mod(node.module, modules):
                return True
    return False


def _is_mod(name: str, modules: tuple[str, ...]) -> bool:
    return any(name == m or name.startswith(m + ".") for m in modules)


def has_main_guard(tree: ast.Module) -> bool:
    for node in tree.body:
        if isinstance(node, ast.If):
            t = node.test
            if isinstance(t, ast.Compare) and isinstance(t.left, ast.Name) and t.left.id == "__name__":
                return True
    return False


def _file_facts(index: FileIndex, path: str) -> list[Any] | None:
    """What the wiring graph reads of a Python file or notebook: [imports an orchestrator, has a ``__main__`` guard,
    its import statements as [level (-1: ``import``), module, names]]; None when it does not parse."""
    tree = index.python(path)
    if tree is None:
        return None
    imports: list[list[Any]] = []
    orch = False
    for node in statements(tree):  # imports are statements: no expression is walked
        cls = node.__class__
        if cls is ast.Import:
            names = [a.name for a in node.names]  # type: ignore[attr-defined]
            imports.append([-1, None, names])
            orch = orch or any(_is_mod(n, ORCHESTRATOR_MODULES) for n in names)
        elif cls is ast.ImportFrom:
            mod, level = node.module, node.level  # type: ignore[attr-defined]
            imports.append([level, mod, [a.name for a in node.names]])  # type: ignore[attr-defined]
            orch = orch or bool(mod and level == 0 and _is_mod(mod, ORCHESTRATOR_MODULES))
    return [orch, has_main_guard(tree), imports]


# a walk of statements: cheap; derived as a file is parsed when it can be a root of the graph (its words: an orchestrator
# or ``__main__``), the files the graph asks about in any case; those its imports reach are derived as they are reached
FILE_FACTS = register_fact("wiring.file", _file_facts, eager=lambda index, path: index.may_mention(path, SCRIPT_NEEDLES))


def orchestrated(index: FileIndex, facts: list[Any]) -> bool:
    """Does the file of these ``FILE_FACTS`` define an orchestrator's pipeline (it imports an orchestrator)? An import of
    a package the repository itself defines (facts.own_packages: the source of ``prefect`` and its tests importing
    ``prefect``) is its own code, not a use of the tool: only an orchestrator the repository does not define counts."""
    if not facts[0]:
        return False
    own = own_names(index)
    if not own:
        return True
    return any(m.split(".", 1)[0] not in own and _is_mod(m, ORCHESTRATOR_MODULES) for level, mod, names in facts[2] if level <= 0
               for m in (names if level < 0 else [mod]) if m)


def may_be_root(index: FileIndex, path: str) -> bool:
    """Can this Python file be a root of the graph (a pipeline definition or a ``__main__`` script)? It names an
    orchestrator the repository does not define, or ``__main__`` (words): the name of a package of its own alone
    cannot make it a root, so such a file is not parsed for that (PrefectHQ/prefect: ~1,300 files name ``prefect``)."""
    own = own_names(index)
    needles = SCRIPT_NEEDLES if not own else tuple(n for n in SCRIPT_NEEDLES if n.decode() not in own)
    return index.mentions(path, needles)


def prefetch_roots(index: FileIndex, paths: Iterable[str]) -> None:
    """Derive the file facts that the graph's roots will ask of these files (``Wiring._roots``: each Python file that
    mentions an orchestrator or ``__main__``), with the eager facts of each file parsed. A parallel scan's words phase
    does it in its workers and sends the facts to the scanning process (FileIndex.adopt_facts), which then builds the
    graph without parsing them; the files parsed are those the graph parses."""
    py = {e.path for e in index.select(("**/*.py",))}
    for path in paths:
        if path not in py:
            continue
        if may_be_root(index, path):
            index.fact(path, FILE_FACTS)
        if index.mentions(path, _CONTAINER_WORDS) and index.mentions(path, _PYTHON_WORDS) and index.fact(path, CONTAINER_FACTS):
            index.fact(path, FILE_FACTS)  # a file declaring a container: the graph asks whether it is a pipeline definition


class ImportFrontier:
    """The files the graph's import following reaches from the roots whose file facts are known (a Python file that may be
    a root, ``may_be_root``, and defines a pipeline or guards ``__main__`` is a root of ``Wiring._roots``), a level at a
    time. A parallel scan has its workers derive the facts of each level (``pending``) before the scanning process builds
    the graph, which then parses none of them: the files are among those the graph's own following parses, so none is
    parsed for nothing (those reached only through the roots' commands are left to the graph)."""

    def __init__(self, index: FileIndex) -> None:
        self.index = index
        self._names = _Modules(index)
        self._reached: set[str] = set()
        self._queue: list[str] = []
        self._asked: set[str] = set()
        for vp, e in self._names.py.items():  # the roots as Wiring._roots tells them
            if may_be_root(index, e.path) and index.fact_at_hand(e.path, FILE_FACTS):
                facts = index.fact(e.path, FILE_FACTS)
                if facts is not None and (facts[1] or orchestrated(index, facts)):
                    self._reach(vp)

    def _reach(self, vpath: str) -> None:
        if vpath not in self._reached and len(self._reached) < MAX_FILES:
            self._reached.add(vpath)
            self._queue.append(vpath)

    def pending(self) -> list[str]:
        """Follow the imports of every file reached whose facts are known (derived since the last call included); the
        paths of the files reached whose facts are not (empty: all followed). A file returned once is derived here
        the next time, if nobody derived it meanwhile."""
        out: list[str] = []
        waiting: list[str] = []
        while self._queue:
            vp = self._queue.pop()
            e = self._names.py[vp]
            if vp not in self._asked and not self.index.fact_at_hand(e.path, FILE_FACTS):
                self._asked.add(vp)
                waiting.append(vp)
                out.append(e.path)
                continue
            facts = self.index.fact(e.path, FILE_FACTS)
            if facts is not None:
                for target in self._names.followed(_modules_of(facts[2], vp), vp):
                    self._reach(target)
        self._queue = waiting
        return out


def _modules_of(imports: list[list[Any]], vpath: str) -> list[str]:
    """``imported_modules`` from a file's import facts."""
    pkg_parts = vpath.split("/")[:-1]
    out: list[str] = []
    for level, module, names in imports:
        if level < 0:
            out += names
            continue
        if level:
            base = pkg_parts[: len(pkg_parts) - (level - 1)] if level > 1 else pkg_parts
            mod = ".".join(base + ([module] if module else []))
        else:
            mod = module or ""
        if mod:
            out.append(mod)
            out += [f"{mod}.{a}" for a in names if a != "*"]
    return out


def file_imports(index: FileIndex, e: FileEntry) -> list[str] | None:
    """``imported_modules`` of a file, from its file facts (no parse when they are known); None when it does not parse."""
    facts = index.fact(e.path, FILE_FACTS)
    return None if facts is None else _modules_of(facts[2], e.vpath)


def imported_modules(tree: ast.AST, vpath: str) -> list[str]:
    pkg_parts = vpath.split("/")[:-1]
    out: list[str] = []
    for node in statement_walk(tree):  # imports are statements
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg_parts[: len(pkg_parts) - (node.level - 1)] if node.level > 1 else pkg_parts
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if mod:
                out.append(mod)
                out += [f"{mod}.{a.name}" for a in node.names if a.name != "*"]
    return out


def test_imports(index: FileIndex) -> frozenset[str]:
    """Every module name the project's test files import (``src.pipelines.builder``, ``src.pipelines.builder.build``)."""

    def build() -> frozenset[str]:
        out: set[str] = set()
        for e in index.select(("**/*.py",)):
            if e.test:
                out.update(file_imports(index, e) or ())
        return frozenset(out)

    return index.memo("wiring:test-imports", build)  # type: ignore[no-any-return]


def only_tests_import(index: FileIndex, e: FileEntry) -> bool:
    """Is this module imported by a test file (by any of its dotted names: ``src.pkg.mod``, ``pkg.mod``) and by no other
    file of the project? With no automated path or entry point reaching it either, its code runs in the tests alone (a
    pipeline builder nothing submits)."""
    if not e.vpath.endswith(".py"):
        return False
    parts = _module_parts(e.vpath)
    names = {".".join(parts[i:]) for i in range(len(parts))}

    def imports_it(mods: Iterable[str]) -> bool:
        return any(m in names or m.rsplit(".", 1)[0] in names for m in mods)

    if not parts or not imports_it(test_imports(index)):
        return False
    stem = parts[-1].encode()
    for other in index.select(("**/*.py",)):  # only files that name the module are read (a word lookup first)
        if not other.test and other.path != e.path and index.mentions(other.path, (stem,)) and imports_it(file_imports(index, other) or ()):
            return False
    return True
