"""Model deployments run as a step of an orchestrated workflow: a Metaflow step, a Prefect task/flow, a Dagster
op/asset, an Airflow task (``@task`` or a PythonOperator callable), a ZenML step or a KFP component that deploys the
trained model to a managed endpoint (SageMaker ``Model.deploy``/``create_endpoint``, Vertex ``Model.deploy``/
``Endpoint.deploy``, Azure ML online deployments), starts the serving container on its host (``docker run -p``,
``docker compose up``) or sends the new model's URI to the route of the repository's serving app that swaps its model
(hot reload). The workflow runs the deploy without a person copying files.
Also a registry promotion (stage transition, alias) on an automated path whose stage/alias the serving code loads
(``models:/name/Production``): the promotion is the deployment. Feeds M2."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from typing import Any

from mlscan.detector import Detector, Need
from mlscan.facts import ops, zenml
from mlscan.facts.commands import with_chain
from mlscan.facts.orchestration import call_tail, decorator, dotted, functions, kwarg, only_in_uncalled_tasks, words
from mlscan.facts.place import place
from mlscan.facts.pyast import walk
from mlscan.index import FileEntry, FileIndex, register_fact
from mlscan.lazyre import lazy_re
from mlscan.model import Finding, Strength

# orchestrator module -> the decorators that make a function one of its tasks
_TASK_DECOS = {"metaflow": ("step",), "prefect": ("task", "flow"), "dagster": ("op", "asset", "multi_asset"),
               "airflow": ("task",), "zenml": ("step",), "kfp": ("component", "container_component", "pipeline"), "flytekit": ("task",)}
# (a KFP ``@dsl.pipeline`` calls prebuilt Google Cloud Pipeline Components such as ``ModelDeployOp`` as its steps)
NEEDLES = tuple(m.encode() for m in _TASK_DECOS)
# registry promotions (registry_promotions): the API calls that move a model to a stage or alias
_PROMOTIONS = {"transition_model_version_stage": ("stage", 2), "set_registered_model_alias": ("alias", 1),
               "add_version_aliases": ("new_aliases", 0)}
PROMOTION_NEEDLES = tuple(n.encode() for n in _PROMOTIONS)
# ZenML's integration deployer steps (``zenml.integrations.<tool>.steps``): called in a pipeline (or, in ZenML's
# legacy API, bound to a pipeline that is run) they deploy the model the pipeline trained to a prediction server
DEPLOY_NEEDLES = (b"deploy", b"BashOperator", b"create_endpoint", b"update_endpoint", b"online_deployments", b"ModelDeployOp", b"docker",
                  *(d.encode() for d in zenml.DEPLOYERS))
# SDKs whose ``deploy`` puts a model behind a managed endpoint
_DEPLOY_SDKS = (("sagemaker", "sagemaker"), ("google.cloud.aiplatform", "vertex"), ("azureml", "azureml"))


def _tasks(tree: ast.Module, al: dict[str, str]) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    """Functions the orchestrators the file imports run as tasks."""
    decos = tuple({d for mod, ds in _TASK_DECOS.items() if ops.imports_module(al, mod) for d in ds})
    out = [f for f in walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef)) and decos and decorator(f, *decos)]
    if ops.imports_module(al, "airflow"):  # PythonOperator(python_callable=fn)
        funcs = {f.name: f for f in walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))}
        for c in walk(tree):
            if isinstance(c, ast.Call) and isinstance(kwarg(c, "python_callable"), ast.Name):
                fn = funcs.get(kwarg(c, "python_callable").id)  # type: ignore[union-attr]
                if fn is not None and fn not in out:
                    out.append(fn)
    return out


def _deploy_target(c: ast.Call, al: dict[str, str]) -> str | None:
    """The managed platform a call deploys to, or None."""
    name = call_tail(c)
    text = dotted(c.func)
    if name == "deploy" and isinstance(c.func, ast.Attribute):
        if text.startswith(("self.next", "st.", "streamlit.")):
            return None
        for module, target in _DEPLOY_SDKS:
            if ops.imports_module(al, module):
                return target
        return None
    if name in ("create_endpoint", "update_endpoint") and ops.imports_module(al, "boto3", "sagemaker"):
        return "sagemaker"
    if name in ("begin_create_or_update", "create_or_update") and "online_deployments" in text and ops.imports_module(al, "azure.ai.ml"):
        return "azureml"
    if name == "ModelDeployOp":
        return "vertex"
    if _serves_container(c):
        return "docker"
    return None


_SHELL_CALLS = {"subprocess.run", "subprocess.call", "subprocess.check_call", "subprocess.check_output", "subprocess.Popen", "os.system"}


def _serves_container(c: ast.Call) -> bool:
    """A task that starts a serving container on its host: ``subprocess.run(["docker", "run", "-d", "-p",
    f"{port}:8000", image])`` (a container that publishes a port answers requests; one that only runs a job does
    not) or ``docker compose up``."""
    if dotted(c.func) not in _SHELL_CALLS or not c.args:
        return False
    arg = c.args[0]
    if isinstance(arg, (ast.List, ast.Tuple)):
        argv = [e.value if isinstance(e, ast.Constant) and isinstance(e.value, str) else "{}" for e in arg.elts]
    elif isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        argv = arg.value.split()
    elif isinstance(arg, ast.JoinedStr):
        argv = "".join(v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else "{}" for v in arg.values).split()
    else:
        return False
    if argv[:2] in (["docker", "compose"], ["docker-compose"]) or argv[:1] == ["docker-compose"]:
        return "up" in argv
    return argv[:2] == ["docker", "run"] and any(a in ("-p", "--publish", "-P", "--publish-all") or a.startswith(("-p=", "--publish="))
                                                  for a in argv[2:])


_MODEL_KEYS = frozenset({"model_uri", "model_path", "model_url", "model_version", "model_name", "model_id", "model_location", "model"})
_WEB_LIBS = ("flask", "fastapi", "starlette", "sanic", "aiohttp", "quart")


def _reload_routes(index: FileIndex) -> Callable[[], frozenset[str]]:
    """Routes of the repository's own serving app that swap the served model (``@app.route("/v1/update-model",
    methods=["POST"])`` whose handler calls something named for updating/reloading/loading a model), found when first
    asked for (``_posts_model_to``, for a call that posts): finding them parses every web app of the repository."""

    def build() -> frozenset[str]:
        out: set[str] = set()
        for e, tree in index.python_files(tuple(m.encode() for m in _WEB_LIBS), ("**/*.py",)):
            if e.test or not ops.imports_module(ops.aliases(tree), *_WEB_LIBS):
                continue
            for fn in walk(tree):
                if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    continue
                swaps = any(isinstance(c, ast.Call) and words(call_tail(c)) & {"update", "reload", "load", "swap", "set"}
                            and words(call_tail(c)) & {"model", "models"} for c in walk(fn))
                for d in fn.decorator_list:
                    if isinstance(d, ast.Call) and call_tail(d) in ("route", "post", "put", "patch") and d.args:
                        path = ops.literal(d.args[0])
                        if isinstance(path, str) and path.startswith("/") and (swaps or {"reload", "update"} & words(path)):
                            out.add(path.rstrip("/"))
        return frozenset(out)

    return lambda: index.memo("orchestrator-deploy:reload-routes", build)  # type: ignore[no-any-return]


def _route_posted(text: str | None, names_model: bool, reload_routes: Callable[[], frozenset[str]]) -> bool:
    """``requests.post(f"http://{HOST}:5050/v1/update-model", json={"model_uri": uri, ...})``: a model reference sent
    to a route of the repository's serving app that swaps its model (hot reload). The routes are found only when a call
    may post (``_posts``): finding them parses every web app."""
    routes = reload_routes()
    if not routes:
        return False
    if not isinstance(text, str) or not any(text.rstrip("/").endswith(r) for r in routes):
        return False
    return names_model


def _body_names_model(c: ast.Call) -> bool:
    body = kwarg(c, "json") or kwarg(c, "data")
    return isinstance(body, ast.Dict) and any(isinstance(k, ast.Constant) and k.value in _MODEL_KEYS for k in body.keys)


def _posts(c: ast.Call) -> bool:
    """Can ``_posts_model_to`` say yes to this call, given routes (it asks for them only then)?"""
    return call_tail(c) in ("post", "put", "patch") and (dotted(c.func).startswith(("requests.", "httpx.", "session."))
                                                        or dotted(c.func).endswith(("session.post", "client.post")))


def _url_text(c: ast.Call) -> str | None:
    url = c.args[0] if c.args else kwarg(c, "url")
    text = "".join(v.value for v in url.values if isinstance(v, ast.Constant) and isinstance(v.value, str)) \
        if isinstance(url, ast.JoinedStr) else ops.literal(url) if url is not None else None
    return text if isinstance(text, str) else None


def _file_fact(index: FileIndex, path: str) -> list[Any] | None:
    """What the visit reads of one file, located for evidence: [the first ZenML deployment
    ``[line, snippet, tool, pipeline, own pipeline]`` or None, the orchestrator (the first of _TASK_DECOS the file
    imports), its tasks in order as ``[name, [line, snippet, target] of the first deploying call or None, [[line, snippet,
    URL text, body names the model] of each call that may post to a route]]``]; None when it does not parse. Derived as
    the file is parsed: the pass then parses nothing again (on PrefectHQ/prefect it re-parsed 56 files with --jobs 1, all
    it wanted in a worker of a parallel scan)."""
    tree = index.python(path)
    if tree is None:
        return None
    e = index.entry(path) or FileEntry(path, path, "project")
    al, _calls = ops.py_calls(index, e)
    zen = None
    if ops.imports_module(al, "zenml"):
        for d in zenml.deployments(tree, zenml.through_project(index, e, al)):
            own = bool(d.bindings) and d.pipeline in {n for n, fn in functions(tree).items() if decorator(fn, "pipeline")}
            zen = [*ops.locate(index, e, d.line), d.tool, d.pipeline, own]
            break
    tasks: list[Any] = []
    tool = None
    found = _tasks(tree, al)
    if found:
        tool = next(m for m in _TASK_DECOS if ops.imports_module(al, m))
        funcs = {f.name: f for f in walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))}
    for task in found:
        # the task body and the local helpers it calls (one level: ``deploy_model(self.model)``)
        bodies = [task, *(funcs[n.func.id] for n in walk(task) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
                          and n.func.id in funcs and funcs[n.func.id] is not task)]
        hit = next(((c, t) for b in bodies for c in walk(b) if isinstance(c, ast.Call) and (t := _deploy_target(c, al))), None)
        deploy = [*ops.locate(index, e, hit[0].lineno), hit[1]] if hit is not None else None
        posts = [] if hit is not None else [[*ops.locate(index, e, c.lineno), _url_text(c), _body_names_model(c)]
                                            for b in bodies for c in walk(b) if isinstance(c, ast.Call) and _posts(c)]
        tasks.append([task.name, deploy, posts])
    return [zen, tool, tasks, _bash_tasks(index, e, tree) if ops.imports_module(al, "airflow") else []]


def _bash_tasks(index: FileIndex, e: FileEntry, tree: ast.Module) -> list[list[Any]]:
    """``[line, snippet, command, task id]`` of each Airflow ``BashOperator`` whose ``bash_command`` is written out (a
    literal, or an f-string's literal parts with ``$X`` for what it interpolates)."""
    out: list[list[Any]] = []
    for c in walk(tree):
        if not isinstance(c, ast.Call) or call_tail(c) != "BashOperator":
            continue
        node = kwarg(c, "bash_command")
        if isinstance(node, ast.JoinedStr):
            text = "".join(v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else "$X" for v in node.values)
        else:
            value = ops.literal(node)
            text = value if isinstance(value, str) else ""
        task_id = ops.literal(kwarg(c, "task_id"))
        if text.strip():
            out.append([*ops.locate(index, e, c.lineno), text, task_id if isinstance(task_id, str) else ""])
    return out


def _wanted(index: FileIndex, path: str) -> bool:
    e = index.entry(path)
    return (e is None or not e.test) and index.may_mention(path, NEEDLES) and index.may_mention(path, DEPLOY_NEEDLES)


FILE_FACT = register_fact("orchestrator.deploy.file", _file_fact, eager=_wanted)


class OrchestratedDeploy(Detector):
    """A workflow step deploys the model to a managed endpoint, or an automated registry promotion is what serving loads; feeds M2."""

    id = "orchestrator.deploy"
    questions = ("M2",)
    globs = ("**/*.py", "**/*.ipynb")
    signals = ("deploy.automated",)
    needs_any = (Need(("**/*.py", "**/*.ipynb"), words=(*NEEDLES, *PROMOTION_NEEDLES)),)  # wants' first words, or a promotion's
    visit_reads_tree = False  # the tree work is FILE_FACT, derived when the file is parsed

    def wants(self, index: FileIndex, e: FileEntry) -> bool:
        return not e.test and index.mentions(e.path, NEEDLES) and index.mentions(e.path, DEPLOY_NEEDLES)

    def visit(self, index: FileIndex, e: FileEntry, tree: ast.Module | None) -> Iterator[Finding]:
        fact = index.fact(e.path, FILE_FACT)
        if fact is None or place(index, e).kind in ("notebook", "exploration"):
            return  # a deploy cell in a notebook is run by a person
        zen, tool, tasks = fact[:3]
        bash = fact[3] if len(fact) > 3 else []
        if zen is not None:
            line, snip, target, pipeline, own = zen
            yield self.found("deploy.automated", index, e.path, line, snippet=snip, strength=Strength.STRONG,
                             attrs={"system": "zenml", "target": target, "active": True, "automatic": False,
                                    "via": f"zenml pipeline {pipeline}", "environment": "", "job": pipeline, "manual_dispatch": True,
                                    **({"own_pipeline": True} if own else {})})
        routes = _reload_routes(index)
        for name, deploy, posts in tasks:
            if deploy is not None:
                line, snip, target = deploy
            else:
                # a model reference sent to a route of the repository's serving app that swaps its model (hot reload)
                post = next((p for p in posts if _route_posted(p[2], p[3], routes)), None)
                if post is None:
                    continue
                line, snip, target = post[0], post[1], "serving-reload"
            yield self.found("deploy.automated", index, e.path, line, snippet=snip, strength=Strength.STRONG,
                             attrs={"system": tool, "target": target, "active": True, "automatic": False, "via": f"{tool} task {name}",
                                    "environment": "", "job": name, "manual_dispatch": True})
            return
        for line, snip, command, task_id in bash:
            hit = _bash_deploy(index, e.path, line or 1, command)
            if hit is None:
                continue
            target, where, chain = hit
            # the command that deploys leads (in the script the task runs, with how it is reached), then the task
            own = where == (e.path, line)
            f = self.found("deploy.automated", index, *where, strength=Strength.STRONG, snippet=snip if own else None,
                           extra=() if own else (self.evidence(index, e.path, line, snippet=snip),),
                           attrs={"system": "airflow", "target": target, "active": True, "automatic": False,
                                  "via": f"airflow task {task_id}", "environment": "", "job": task_id, "manual_dispatch": True})
            yield f if own else with_chain(f, chain)
            return

    def detect(self, index: FileIndex) -> Iterator[Finding]:
        """A registry promotion on an automated path counts as a deployment when serving code loads the model by that
        stage or alias (``models:/churn/Production``, ``models:/churn@champion``): the next load serves it."""
        refs: dict[str, str] | None = None
        for e, line, stages in registry_promotions(index):
            refs = serving_refs(index) if refs is None else refs
            hit = next((s for s in sorted(stages) if s in refs), None)
            if hit is None:
                continue
            at, snip = ops.locate(index, e, line)
            yield self.found("deploy.automated", index, e.path, at, snippet=snip, strength=Strength.STRONG,
                             attrs={"system": "registry", "target": hit, "active": True, "automatic": True, "environment": "",
                                    "via": f"registry promotion loaded by {refs[hit]}", "job": "", "manual_dispatch": False})
            return


# ------------------------------------------------------------------ a bash task that deploys


def _repo_script(index: FileIndex, word: str) -> str:
    """A script an Airflow container runs by its mount path (``/opt/airflow/setup-scripts/deploy.sh``, the image's copy of
    the repository's ``setup-scripts/deploy.sh``): the repository path that ends the same way (two parts at least)."""
    parts = word.strip("'\"").split("/")
    if not word.startswith("/") or len(parts) < 3:
        return word
    for i in range(1, len(parts) - 1):
        cand = "/".join(parts[i:])
        if any(x.vpath == cand for x in index.select((cand,))):
            return cand
    return word


def _bash_deploy(index: FileIndex, path: str, line: int, command: str) -> tuple[str, tuple[str, int], tuple[str, ...]] | None:
    """(target, (file, line) of the deploying command, how it is reached) for a bash task's command that deploys a model
    or serving service (``deploy_command``: a rollout, a remote restart over ssh ...), itself or through the scripts and
    task-runner targets it runs (three levels); infrastructure provisioning (Terraform, Pulumi, CloudFormation) is not."""
    from mlscan.ci import shell_flow
    from mlscan.facts.ci_vocab import deploy_command, ssh_rejoined, ssh_stdin
    from mlscan.facts.commands import invoked

    def search(texts: list[tuple[str, str, int]], depth: int, chain: tuple[str, ...]) -> tuple[str, tuple[str, int], tuple[str, ...]] | None:
        for (text, at, ln), joined in zip(texts, ssh_rejoined([t for t, _, _ in texts]), strict=True):
            target = deploy_command(ssh_stdin(index, joined, at))
            if target and target not in ("terraform", "pulumi", "iac"):
                return target, (at, ln), chain
            if depth < 3:
                subs = invoked(index, " ".join(_repo_script(index, w) for w in text.split()), at, ln)
                hit = search([(s.text, s.file.path, s.line) for s in subs], depth + 1, (f"run by {at}:{ln}", *chain)) if subs else None
                if hit is not None:
                    return hit
        return None

    return search([(sc.text, path, line) for sc in shell_flow(command, True)], 0, ())


# ------------------------------------------------------------------ registry promotions that serving picks up

_PROMOTION_NAMES = tuple(_PROMOTIONS)
_MODEL_URI = lazy_re(r"models:/[^\s'\"]*?(?:/|@)(?P<ref>\{?[A-Za-z0-9_.-]+\}?)['\"]")
_SERVING_WORDS = frozenset({"serve", "serving", "server", "app", "api", "predict", "prediction", "inference", "score", "scoring", "batch",
                            "service", "handler", "main"})
_SERVING_LIBS = ("fastapi", "flask", "bentoml", "starlette", "gradio", "streamlit", "litserve", "ray.serve")


def _promotion_refs(c: ops.PyCall, tree: ast.AST) -> set[str]:
    """The stage/alias a promotion call moves the model to (literals, or a once-assigned name's literal)."""
    kw, pos = _PROMOTIONS[c.attr]
    node = kwarg(c.node, kw) or (c.node.args[pos] if len(c.node.args) > pos else None)
    if isinstance(node, ast.Name):
        node = next((a.value for a in walk(tree) if isinstance(a, ast.Assign) and any(isinstance(t, ast.Name) and t.id == node.id for t in a.targets)), node)
    value = ops.literal(node)
    values = value if isinstance(value, (list, tuple)) else [value]
    return {str(v).lower() for v in values if isinstance(v, str) and v}


def registry_promotions(index: FileIndex) -> Iterator[tuple[FileEntry, int, set[str]]]:
    """(file, line, stages/aliases) of registry promotions on an automated path (CI, a pipeline, a scheduled job)."""
    for e in index.select(("**/*.py", "**/*.ipynb")):
        # the words of these names (``model``, ``version``, ``stage``...) are everywhere: parsed only where a name is
        if not index.mentions(e.path, PROMOTION_NEEDLES) or not ops.names_any(index, e, _PROMOTION_NAMES):
            continue
        tree = index.python(e.path)
        if tree is None or e.test or place(index, e).kind != "automated":
            continue
        _al, calls = ops.py_calls(index, e)
        for c in calls:
            if c.attr in _PROMOTIONS:
                refs = _promotion_refs(c, tree)
                if refs:
                    yield e, c.line, refs


def serving_refs(index: FileIndex) -> dict[str, str]:
    """stage/alias -> the serving file that loads ``models:/<name>/<stage>`` or ``models:/<name>@<alias>`` at request or
    reload time (inside a function: a handler, a reload, a batch job run). A model loaded once at import is the one
    of the last deploy: a promotion reaches it only with a restart, which is a deploy of its own."""
    out: dict[str, str] = {}
    for e in index.select(("**/*.py",)):
        if e.test or not index.contains(e.path, (b"models:/",)):
            continue
        text = index.text(e.path) or ""
        serving = bool(words(e.vpath) & _SERVING_WORDS) or any(f"import {m}" in text or f"from {m}" in text for m in _SERVING_LIBS)
        tree = index.python(e.path) if serving else None
        if tree is None:
            continue
        for fn in walk(tree):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) or only_in_uncalled_tasks(index, e, tree, fn.lineno):
                continue  # (a load in an orchestrator task that no flow runs serves nothing)
            for n in walk(fn):
                if isinstance(n, (ast.Constant, ast.JoinedStr)):
                    src = ast.unparse(n)
                    for m in _MODEL_URI.finditer(src if src.endswith(("'", '"')) else src + "'"):
                        out.setdefault(m.group("ref").strip("{}").lower(), e.vpath)
    return out
