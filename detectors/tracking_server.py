"""Where runs are tracked: MLflow tracking URIs (code, CI/compose/Kubernetes env, .env files), W&B/Neptune/
Comet/ClearML/Vertex cloud projects, and self-hosted MLflow servers; feeds E1, E2, T2 (context)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from mlscan.ci import as_list, ci_model
from mlscan.detector import Detector
from mlscan.facts import ops, tracking
from mlscan.facts.place import derive_facts, place
from mlscan.facts.pyast import walk
from mlscan.index import FileEntry, FileIndex, register_fact
from mlscan.model import Finding, Strength

_ENV = {"MLFLOW_TRACKING_URI": "mlflow", "MLFLOW_TRACKING_URL": "mlflow",
        "WANDB_PROJECT": "wandb", "WANDB_ENTITY": "wandb", "WANDB_BASE_URL": "wandb", "NEPTUNE_PROJECT": "neptune",
        "COMET_WORKSPACE": "comet", "COMET_PROJECT_NAME": "comet", "CLEARML_API_HOST": "clearml"}
_SAAS = {"wandb": "init", "neptune": "init_run", "comet": "Experiment", "clearml": "init"}
_OFFLINE = ("offline", "disabled", "debug", "dryrun")


# Python files that can set a tracking URI or start a SaaS tracker run
NEEDLES = (b"mlflow", b"MLFLOW_TRACKING_URI", b"wandb", b"neptune", b"comet_ml", b"clearml")


class TrackingServer(Detector):
    """A shared tracking backend: remote tracking URIs, SaaS tracker projects and self-hosted servers; context for E1/E2/T2."""

    id = "tracking.server"
    questions = ("E1", "E2", "T2")
    globs = ("**/*.py", "**/*.ipynb", *ops.YAML_GLOBS, *tracking.DOCKERFILES, *tracking.ENV_TEXT_GLOBS)
    signals = ("tracking.server",)

    def wants(self, index: FileIndex, e: FileEntry) -> bool:
        return index.mentions(e.path, NEEDLES)

    visit_reads_tree = False  # its tree work is the file fact URIS

    def visit(self, index: FileIndex, e: FileEntry, tree: ast.Module | None) -> Iterator[Finding]:
        if e.test:
            return  # place: a test file
        uris = index.fact(e.path, URIS)
        if not uris:
            return
        where = place(index, e)
        tools: set[str] = set()
        for (at, snip), tool, uri in uris:
            scheme = tracking.remote_uri(uri) if uri else "saas"
            remote = scheme is not None
            if tool in tools:
                continue
            tools.add(tool)
            strength = (Strength.STRONG if where.wired == "automated" else Strength.MEDIUM) if remote else Strength.WEAK
            yield self.found("tracking.server", index, e.path, at, snippet=snip, strength=strength,
                             attrs={"tool": tool, "remote": remote, "how": "code", "scheme": scheme or "local"})

    def detect(self, index: FileIndex) -> Iterator[Finding]:
        seen: set[tuple[str, str, str]] = set()

        def once(path: str, tool: str, how: str) -> bool:
            key = (path, tool, how)
            if key in seen:
                return False
            seen.add(key)
            return True

        ci_paths = {j.path for j in ci_model(index).jobs}
        for e, line, name, value in tracking.env_settings(index, tuple(_ENV)):
            tool = _ENV[name] or ("mlflow" if "databricks" in value.lower() else "")
            if not tool or not value.strip():
                continue
            external = "${{" in value or value.startswith(("$", "<", "${"))
            scheme = "external" if external else tracking.remote_uri(value) if tool == "mlflow" else "saas"
            remote = scheme is not None
            if not once(e.path, tool, "env"):
                continue
            strength = Strength.STRONG if remote and (e.path in ci_paths or e.suffix in (".yaml", ".yml") or "ockerfile" in e.name) else (
                Strength.MEDIUM if remote else Strength.WEAK)
            yield self.found("tracking.server", index, e.path, line, strength=strength,
                             attrs={"tool": tool, "remote": remote, "how": "env", "scheme": scheme or "local"})
        for e, line, tool, kind in _servers(index):
            if once(e.path, tool, "deployed"):
                yield self.found("tracking.server", index, e.path, line, strength=Strength.STRONG if kind == "kubernetes" else Strength.MEDIUM,
                                 attrs={"tool": tool, "remote": True, "how": "deployed", "scheme": kind})


def _python_uris(index: FileIndex, e: ops.FileEntry, tree: ast.AST) -> Iterator[tuple[int, str, str | None]]:
    """(line, tool, uri) for tracking URIs set in code; uri None for SaaS trackers (their cloud by default)."""
    al, calls = ops.py_calls(index, e)
    for c in calls:
        if c.qual in ("mlflow.set_tracking_uri", "mlflow.tracking.set_tracking_uri", "mlflow.set_registry_uri") or (
                c.attr == "MlflowClient" and c.qual.startswith("mlflow")):
            arg = c.node.args[0] if c.node.args else ops.kwarg(c.node, "uri") or ops.kwarg(c.node, "tracking_uri")
            uri = tracking.python_value(arg, tree, c.line)
            if uri and not uri.startswith("{}"):
                yield c.line, "mlflow", uri
            continue
        tool = tracking.call_ctor(c, al)
        if tool in _SAAS and c.attr == _SAAS[tool] or tool == "comet" and c.attr == "start":
            mode = c.kw_value("mode")
            if c.attr == "OfflineExperiment" or (isinstance(mode, str) and mode.lower() in _OFFLINE):
                continue
            if tool == "wandb" and not c.has_kw("project") and not c.has_kw("entity"):
                continue
            yield c.line, tool, None
        elif c.qual == "google.cloud.aiplatform.init" and c.has_kw("experiment"):
            yield c.line, "vertex-experiments", None
    for n in walk(tree):  # os.environ["MLFLOW_TRACKING_URI"] = "http://..."
        if isinstance(n, ast.Assign) and any(isinstance(t, ast.Subscript) and ops.literal(t.slice) == "MLFLOW_TRACKING_URI" for t in n.targets):
            uri = tracking.python_value(n.value, tree, n.lineno)
            if uri and not uri.startswith("{}"):
                yield n.lineno, "mlflow", uri


def _uris(index: FileIndex, path: str) -> list[list[object]] | None:
    """``[[line, snippet], tool, uri]`` of every tracking URI or SaaS run set in a file's code, in ``_python_uris``'s order
    (what ``visit`` finishes with the file's place; line and snippet as evidence cites them, ``ops.locate``); None when the
    file does not parse."""
    e = index.entry(path)
    tree = index.python(path)
    if e is None or tree is None:
        return None
    uris = [[list(ops.locate(index, e, line)), tool, uri] for line, tool, uri in _python_uris(index, e, tree)]
    if uris:
        derive_facts(index, path)  # the visit asks the file's place
    return uris


def _wanted(index: FileIndex, path: str) -> bool:
    """``TrackingServer.wants`` for an eager fact (words may be unsure); test files are never visited for it."""
    e = index.entry(path)
    return e is not None and not e.test and index.may_mention(path, NEEDLES)


# derived at the file's first parse (whichever process parses it): the Python pass parses no file for this detector
URIS = register_fact("tracking.server.uris", _uris, eager=_wanted)


def _servers(index: FileIndex) -> Iterator[tuple[ops.FileEntry, int | None, str, str]]:
    """Self-hosted tracking servers: compose services, Kubernetes containers, Dockerfiles running ``mlflow server``."""
    for e in index.select(("**/docker-compose*.yml", "**/docker-compose*.yaml", "**/compose.yml", "**/compose.yaml")):
        for doc in index.yaml(e.path):
            services = doc.get("services") if isinstance(doc, dict) else None
            for name, svc in services.items() if isinstance(services, dict) else ():
                tool = _server_tool(svc) if isinstance(svc, dict) else None
                if tool:
                    yield e, services.line_of(name), tool, "compose"
    for e, doc in ops.k8s_docs(index):
        for d in ops.walk_dicts(doc):
            if isinstance(d.get("containers"), list):
                for i, ctr in enumerate(d["containers"]):
                    tool = _server_tool(ctr) if isinstance(ctr, dict) else None
                    if tool:
                        yield e, d["containers"].line_of(i), tool, "kubernetes"
    for e in index.select(tracking.DOCKERFILES):
        for ins in index.dockerfile(e.path):
            if ins.instruction in ("CMD", "ENTRYPOINT", "RUN") and "mlflow server" in ins.value:
                yield e, ins.line, "mlflow", "container"
                break


def _server_tool(spec: dict) -> str | None:
    image = str(spec.get("image", "")).lower()
    cmd = " ".join(str(x) for k in ("command", "args", "entrypoint") for x in as_list(spec.get(k)) if isinstance(x, (str, int)))
    if "mlflow" in image.rsplit("/", 1)[-1] or re.search(r"\bmlflow\s+(server|ui\s+--host)", cmd):
        return "mlflow"
    if image.startswith(("wandb/local", "docker.io/wandb/local")):
        return "wandb"
    if "clearml" in image and "server" in image:
        return "clearml"
    return None
