"""Container environments: Dockerfile base pinning and how dependencies are installed (lock files, pinned
requirements, floating installs), plus managed runtimes declared as code (Databricks ML runtimes, KFP
component images, Anyscale/Ray cluster images, SageMaker framework versions); feeds E4."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from typing import Any

from mlscan.ci import argv, split_commands, started_commands
from mlscan.detector import Detector, Need
from mlscan.facts import ops, pycalls, tracking
from mlscan.facts.pins import REQ_GLOBS, pinned, share
from mlscan.facts.place import place
from mlscan.facts.side_environments import auxiliary_service, ci_image, orchestrator_image
from mlscan.facts.wiring import exec_form
from mlscan.index import FileEntry, FileIndex, register_fact
from mlscan.lazyre import lazy_re
from mlscan.model import Finding, Strength, clean_snippet

_TOOLING = frozenset({"pip", "setuptools", "wheel", "pipenv", "poetry", "uv", "pip-tools", "virtualenv", "pdm", "hatch", "conda-lock"})
_LOCKED = lazy_re(r"\buv\s+(sync|pip\s+sync)\b|\bpoetry\s+install\b|\bpipenv\s+(install\s+.*--(deploy|ignore-pipfile)|sync)\b|"
                     r"\bpdm\s+(sync|install)\b|\bconda-lock\s+install\b|\bpip\s+install\b.*--require-hashes|\bpixi\s+install\b.*--(frozen|locked)")
_VAR = lazy_re(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}?")

_RUNTIME_WORDS = (b"base_image", b"framework_version", b"packages_to_install", b"image_uris", b"get_image_uri")


class EnvDockerfile(Detector):
    """Dockerfiles (base pinned? installs pinned?) and managed runtime images declared as code; feeds E4."""

    id = "env.dockerfile"
    questions = ("E4",)
    globs = (*tracking.DOCKERFILES, *ops.YAML_GLOBS, "**/*.py", "**/*.ipynb")
    signals = ("env.dockerfile", "env.runtime")
    needs_any = (Need((*tracking.DOCKERFILES, *ops.YAML_GLOBS)), Need(("**/*.py", "**/*.ipynb"), words=_RUNTIME_WORDS))

    def detect(self, index: FileIndex) -> Iterator[Finding]:
        for e in index.select(tracking.DOCKERFILES):
            instrs = index.dockerfile(e.path)
            froms = [i for i in instrs if i.instruction == "FROM"]
            if not froms:
                continue
            args: dict[str, str] = {}
            arg_lines: dict[str, int] = {}
            stages: set[str] = set()
            bases: list[tuple[str, bool]] = []
            base_at: tuple[int, int | None] = (froms[-1].line, None)  # the FROM naming the last image, the ARG it reads
            unpinned_installs: list[str] = []
            installs = 0
            entry = cmd_line = ""  # the final stage's ENTRYPOINT and CMD: the process the image starts
            from_file = False  # an install reads the project's dependency file (not only packages named in the RUN line)
            for ins in instrs:
                if ins.instruction == "ARG":
                    name, _, default = ins.value.partition("=")
                    args.setdefault(name.strip(), default.strip().strip("'\""))
                    arg_lines.setdefault(name.strip(), ins.line)
                elif ins.instruction == "FROM":
                    entry = cmd_line = ""
                    words = [w for w in ins.value.split() if not w.startswith("--")]
                    image = _VAR.sub(lambda m, a=args: a.get(m.group(1)) or m.group(2) or m.group(0), words[0]) if words else ""
                    if len(words) >= 3 and words[1].lower() == "as":
                        stages.add(words[2])
                    if words and words[0] not in stages:
                        bases.append((image, _base_pinned(image)))
                        # ``FROM $BASE_IMAGE``: the image is the ARG's default, cited with the FROM that reads it
                        # or its tag (``python:${PYTHON_VERSION}-slim``): the pin is the ARG's default, shown with the FROM
                        var = next((m for m in _VAR.finditer(words[0]) if args.get(m.group(1))), None)
                        base_at = (ins.line, arg_lines.get(var.group(1)) if var else None)
                elif ins.instruction == "ENTRYPOINT":
                    entry = exec_form(ins.value)
                elif ins.instruction == "CMD":
                    cmd_line = exec_form(ins.value)
                elif ins.instruction == "RUN":
                    for cmd in split_commands(ins.value):
                        verdict = _install(index, e, cmd)
                        from_file = from_file or bool(_FROM_FILE.search(cmd))
                        if verdict is not None:
                            installs += 1
                            if not verdict:
                                unpinned_installs.append(cmd[:80])
                        elif _installs_project(cmd):
                            installs += 1  # the project itself: what its own metadata declares (pinned or not, it says)
            if not bases:
                continue
            base_pinned = all(p for _, p in bases)
            installs_pinned = not unpinned_installs
            # the last stage that names an image (``FROM runtime AS app`` then ``FROM runtime`` cites the first)
            line, arg_line = base_at
            snippet = None
            if arg_line and arg_line < line:
                lines = index.lines(e.path)
                snippet = clean_snippet("\n".join((lines[arg_line - 1].strip(), lines[line - 1].strip())))
            yield self.found("env.dockerfile", index, e.path, arg_line if snippet else line, end_line=line if snippet else None,
                             snippet=snippet, strength=Strength.MEDIUM,
                             attrs={"base": bases[-1][0], "base_pinned": base_pinned, "installs_pinned": installs_pinned,
                                    "installs": installs, "reproducible": base_pinned and installs_pinned,
                                    **({"from_file": from_file} if installs else {}),
                                    # the image of a tracking server, monitoring dashboard or database beside the project
                                    **({"auxiliary": aux} if (aux := auxiliary_service(index, e)) else {}),
                                    **({"tracking_server": True} if _starts_tracking_server(entry or cmd_line) else {}),
                                    # an orchestrator's web UI, scheduler or daemon image (no project code in it)
                                    **({"orchestrator": True} if orchestrator_image(index, e) else {}),
                                    # a devcontainer's image: the editor's environment, not the one training or serving runs in
                                    **({"devcontainer": True} if ".devcontainer" in e.vpath.split("/")[:-1] else {}),
                                    # the image CI jobs run in (``.gitlab/docker/Dockerfile``), and a test resource's image
                                    # (``tests/resources/.../Dockerfile``): not the project's training or serving environment
                                    **({"ci_image": True} if ci_image(e) else {}),
                                    **({"test_resource": True} if e.test else {})})
        yield from self._runtimes(index)

    def _runtimes(self, index: FileIndex) -> Iterator[Finding]:
        for e in index.select(ops.YAML_GLOBS):
            if not index.contains(e.path, (b"spark_version", b"base_image", b"cluster_env")):
                continue
            done: set[str] = set()
            for doc in index.yaml(e.path):
                used = _used_cluster_lines(doc)
                specs = [(d, key, kind) for d in ops.walk_dicts(doc) for key, kind in (("spark_version", "databricks"), ("base_image", "container"))
                         if isinstance(d.get(key), str)]
                # a cluster spec a job uses before an anchor no job refers to (a bundle file's ``new_cluster: &new_cluster``
                # left after its job was removed)
                specs.sort(key=lambda s: used is not None and s[2] == "databricks" and s[0].line_of(s[1]) not in used)
                for d, key, kind in specs:
                    v = d.get(key)
                    if kind not in done:
                        done.add(kind)
                        ok = bool(re.match(r"\d+\.\d+\.", v)) if kind == "databricks" else _base_pinned(v)
                        unused = used is not None and kind == "databricks" and d.line_of(key) not in used
                        yield self.found("env.runtime", index, e.path, d.line_of(key), strength=Strength.MEDIUM,
                                         attrs={"kind": kind, "image": v, "pinned": ok, **({"unused": True} if unused else {})})
        for e in index.select(("**/*.py", "**/*.ipynb")):
            if not index.mentions(e.path, _RUNTIME_WORDS):
                continue
            hit = index.fact(e.path, RUNTIME_FACT)
            if hit is None or place(index, e).kind == "test":
                continue
            code_line, kind, image, ok, installs = hit
            line, snip = ops.locate(index, e, code_line)
            # a KFP component's image and ``packages_to_install`` are the environment of that one pipeline step (a
            # lightweight component installs its few packages at run time), not the project's environment
            yield self.found("env.runtime", index, e.path, line, snippet=snip, strength=Strength.MEDIUM,
                             attrs={"kind": kind, "image": image, "pinned": ok, **({"installs": installs} if installs is not None else {}),
                                    **({"component": True} if kind == "kfp" else {})})


# the sections of a Databricks asset bundle (``resources``, ``targets``) and of a dbx deployment file (``environments``)
# that define what runs; other top-level keys of such a file only hold YAML anchors (``new_cluster: &new_cluster``, dbx's ``custom:``)
_RUN_SECTIONS = ("resources", "targets", "environments")


def _used_cluster_lines(doc: object) -> set[int] | None:
    """The ``spark_version`` lines of the cluster specs that a bundle's or dbx file's jobs use (an anchor is used when an
    alias or merge key brings it under ``resources``/``targets``/``environments``); None for any other file, whose
    clusters all count (a Jobs API file's top-level ``new_cluster``)."""
    if not isinstance(doc, dict) or not any(k in doc for k in _RUN_SECTIONS):
        return None
    return {d.line_of("spark_version") for k in _RUN_SECTIONS if isinstance(doc.get(k), (dict, list))
            for d in ops.walk_dicts(doc[k]) if isinstance(d.get("spark_version"), str)}


# an image whose process is an experiment-tracking server (``mlflow server``/``mlflow ui``, ``python -m mlflow server``):
# it packages a third-party service the project talks to, not the environment the project's code runs in
_TRACKING_SERVER = lazy_re(r"^\s*(\S*/)?(python3?\s+-m\s+)?mlflow\s+(server|ui)\b")


def _starts_tracking_server(command: str) -> bool:
    """Does the image's start command run an MLflow tracking server, also as one of several commands of a shell-form
    CMD (``cron && tail -f /var/log/cron.log & mlflow server --host 0.0.0.0``)?"""
    return any(_TRACKING_SERVER.search(part) for part in started_commands(command))


_FROM_FILE = lazy_re(r"\s(-r|--requirement|-c|--constraint)[\s=]|requirements[\w.-]*\.(txt|in)\b|\b(poetry|pipenv|pdm|uv)\s+(install|sync)\b|"
                     r"\bpip3?\s+install\s+(-\S+\s+)*(-e\s+)?[\"']?\.(\[[^\]]*\])?[\"']?(\s|$)|\b(conda|mamba|micromamba)\s+env\s+(create|update)\b|"
                     r"environment\.ya?ml|\bsetup\.py\s+install\b")


def _runtime_call(index: FileIndex, path: str) -> list[Any] | None:
    """[line, kind, image, pinned, installs] of the first call (in walk order) that declares a KFP component image or packages, a
    SageMaker framework version or a built-in image at a version; None when there is none or the file does not parse.
    A file fact (derived when the file is parsed). Reads the calls' nodes: a version may be a module constant
    (``tracking.python_value``)."""
    tree = index.python(path)
    if tree is None:
        return None
    found: list[Any] | None = None
    for n in pycalls.calls_of(tree):
        kw = {k.arg: k.value for k in n.keywords if k.arg}
        image, pkgs, fw = ops.literal(kw.get("base_image")), ops.literal(kw.get("packages_to_install")), ops.literal(kw.get("framework_version"))
        if isinstance(image, str) or isinstance(pkgs, list):
            pins = [pinned(_spec(p), p) for p in pkgs or [] if isinstance(p, str)]
            ok = (not isinstance(image, str) or _base_pinned(image)) and (not pins or sum(pins) / len(pins) >= 0.8)
            kind = "kfp"
        elif isinstance(fw, str):
            ok, image, kind = bool(re.match(r"\d", fw)), fw, "sagemaker"
        elif (ver := _builtin_image_version(n, kw, tree)) is not None:
            # a built-in algorithm/framework image at a version: ``image_uris.retrieve("xgboost", region, "1.7-1")``
            ok, image, kind = bool(re.match(r"\d", ver)), ver, "sagemaker"
        else:
            continue
        # cited at what pins the environment (the first package, else the image or framework version), not at
        # ``@dsl.component(`` or the estimator's opener
        # (an image lookup at its ``version=`` argument: ``image_uris.retrieve(`` names the framework, the version pins it)
        where = (kw.get("framework_version") or _version_arg(n, kw)) if kind == "sagemaker" else kw.get("packages_to_install") \
            if isinstance(pkgs, list) and pkgs else kw.get("base_image") if isinstance(image, str) else None
        first = where.elts[0] if isinstance(where, (ast.List, ast.Tuple)) and where.elts else where
        # a KFP component installs its ``packages_to_install`` on top of the image (none: the bare image, nothing of
        # the project's); a SageMaker framework image brings its framework
        installs = (len(pkgs) if isinstance(pkgs, list) else 0) if kind == "kfp" else None
        hit = [getattr(first, "lineno", None) or n.lineno, kind, image if isinstance(image, str) else "", ok, installs]
        # the training job's environment before a data-processing job's (``SKLearnProcessor`` ahead of the estimator)
        if not ops.dotted(n.func).endswith("Processor"):
            return hit
        found = found or hit
    return found


RUNTIME_FACT = register_fact("env.runtime.python", _runtime_call, eager=lambda index, path: index.may_mention(path, _RUNTIME_WORDS))


def _builtin_image_version(call: ast.Call, kw: dict[str, ast.AST], tree: ast.AST) -> str | None:
    """The version a SageMaker image lookup asks for (``sagemaker.image_uris.retrieve(framework, region, version)``, the
    v1 ``get_image_uri(region, repo_name, repo_version)``): "" when it asks for none (the latest image), None when the
    call is no image lookup."""
    name = ops.dotted(call.func)
    if name.endswith("image_uris.retrieve") or name == "retrieve" and "framework" in kw:
        value = kw.get("version", call.args[2] if len(call.args) > 2 else None)
    elif name.rsplit(".", 1)[-1] == "get_image_uri":
        value = kw.get("repo_version", call.args[2] if len(call.args) > 2 else None)
    else:
        return None
    if value is None:
        return ""
    text = tracking.python_value(value, tree, call.lineno)  # a literal or a module constant
    return text or ""


def _version_arg(call: ast.Call, kw: dict[str, ast.AST]) -> ast.AST | None:
    """The argument an image lookup takes its version from (``version=``, v1's ``repo_version=``, else the third
    positional argument)."""
    return kw.get("version") or kw.get("repo_version") or (call.args[2] if len(call.args) > 2 else None)


def _spec(req: str) -> str:
    m = re.match(r"\s*[A-Za-z0-9][A-Za-z0-9._-]*(\[[^\]]*\])?\s*(.*)", req)
    return m.group(2) if m else ""


def _base_pinned(image: str) -> bool:
    if image == "scratch" or "@sha256:" in image:
        return True
    if "$" in image:
        return False
    tag = tracking.tag_of(image)
    # a team's rolling tag floats like ``latest`` itself: ``latest-gpu``, ``base-latest``, ``mlops_latest``
    return bool(tag) and tag != "latest" and not tag.startswith("latest") and not tag.endswith(("-latest", "_latest", ".latest"))


def _install(index: FileIndex, e: FileEntry, cmd: str) -> bool | None:
    """True: a pinned/locked dependency install; False: floating; None: not a Python dependency install."""
    if _LOCKED.search(cmd):
        if re.search(r"\bpoetry\s+install\b", cmd) and not index.select(("**/poetry.lock",)):
            return False
        return True
    words = argv(cmd)
    if "install" not in words:
        return None
    if words[0] == "pipenv" and not [w for w in words[words.index("install") + 1:] if not w.startswith("-")]:
        return bool(index.select(("**/Pipfile.lock",)))
    head = _installer(words)
    if not (head.startswith("pip") or head.startswith("python") and "pip" in words or head in ("conda", "mamba", "micromamba")):
        return None
    rest = words[words.index("install") + 1:]
    verdict: bool | None = None
    skip = False
    for i, w in enumerate(rest):
        if skip:
            skip = False
            continue
        if w in ("-r", "--requirement", "-c", "--constraint") and i + 1 < len(rest):
            skip = True
            verdict = (verdict is not False) and (w in ("-c", "--constraint") or _req_file_pinned(index, e, rest[i + 1]))
        elif w.startswith("-") or _PROJECT_REQ.match(w) or w.startswith(("/", "./", "git+", "http")) or "{" in w:
            continue  # an option, the project itself (counted by ``_installs_project``), a path or URL
        else:
            name = re.split(r"[=<>!~\[@ ]", w, maxsplit=1)[0].lower()
            if name in _TOOLING or not name:
                continue
            ok = pinned(_spec(w), w) or bool(re.search(r"[^=<>!]=\d", w) and head in ("conda", "mamba", "micromamba"))
            verdict = (verdict is not False) and ok
    return verdict


def _installer(words: list[str]) -> str:
    """The program an install command runs: its first word that is no option or assignment (``pip``, ``conda``), with
    ``uv pip install`` read as the pip it stands in for."""
    head = next((w.rsplit("/", 1)[-1] for w in words if not w.startswith("-") and "=" not in w), "")
    if head == "uv" and "pip" in words[: words.index("install")]:
        return "pip"
    return head


# the project's own folder as a pip requirement: ``.``, ``./``, ``.[api]``, ``./service[gpu]`` (``-e`` or not)
_PROJECT_REQ = lazy_re(r"^\.{1,2}(?:/[\w.\-/]*)?(?:\[[\w,.\- ]*\])?$")


def _installs_project(cmd: str) -> bool:
    """A pip install of the project's own folder (``pip install -e ".[api]"``, ``uv pip install .``): it installs the
    dependencies the project's metadata declares, an install from the project's file like ``-r requirements.txt``."""
    words = argv(cmd)
    if "install" not in words:
        return False
    head = _installer(words)
    if not (head.startswith("pip") or head.startswith("python") and "pip" in words):
        return False
    return any(_PROJECT_REQ.match(w) for w in words[words.index("install") + 1:] if not w.startswith("-"))


def _req_file_pinned(index: FileIndex, e: FileEntry, ref: str) -> bool:
    name = ref.rsplit("/", 1)[-1]
    folder = e.vpath.rsplit("/", 1)[0] if "/" in e.vpath else ""
    cands = [f for f in index.select(REQ_GLOBS) if f.name == name]
    cands.sort(key=lambda f: (not f.vpath.startswith(folder), len(f.vpath)))
    if not cands:
        return False
    reqs = index.requirements(cands[0].path)
    text = index.text(cands[0].path) or ""
    pins, total = share(reqs)
    return "--hash=" in text or (total > 0 and pins / total >= 0.8)
