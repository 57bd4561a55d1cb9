"""Automated deploys of a model or serving service from CI/CD, images the CI pushes, and deploy approval gates; feeds M2, T2, T4."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from mlscan.ci import CI_NEEDS, CiJob, argv, ci_model
from mlscan.detector import Detector, needs_of
from mlscan.facts import ops
from mlscan.facts.called_workflows import called_from, deciding_command, local_workflow, uncalled, workflow_callers
from mlscan.facts.ci_vocab import (
    AUTOMATIC,
    applies_setup_only,
    built_images,
    compose_builds_service,
    compose_up_detached,
    deploy_command,
    deploy_image,
    deploy_uses,
    ephemeral_cluster,
    iac_serving,
    iac_template,
    image_push_command,
    image_push_uses,
    placeholder_deploy,
    publishes_package,
    python_deploy_call,
    runs_service,
    serving_infra,
    smoke_run,
    ssh_rejoined,
    ssh_stdin,
    unbuilt_image,
    workdir,
    workflow_stack,
)
from mlscan.facts.commands import Cmd, head, job_commands, reached_by, root_line, with_chain, words
from mlscan.facts.databricks_bundles import bundles_declare_nothing
from mlscan.facts.placeholders import placeholder_value, unfilled_settings
from mlscan.facts.pyast import walk
from mlscan.facts.serving import loads_model
from mlscan.index import FileIndex
from mlscan.lazyre import lazy_re
from mlscan.model import Finding, Strength

_DEPLOY_CLAIM = lazy_re(r"\bdeploy|\brollout\b|\bkubectl\b|\bhelm\b|\bpromot|\bmodel\b|\bendpoint", re.I)
PROD_ENV = lazy_re(r"prod|production|staging|stage|live|release|preprod|uat", re.I)
COMMENTED_STEP = lazy_re(r"^\s*(?:-\s*)?(?:(?:run|script|command|sh|cmd|inlineScript)\s*:?\s*[|>]?\s*)?['\"]?([a-z][\w.-]*\s.*?)['\"]?\s*$")
MANUAL_ONLY = frozenset({"manual", "workflow_dispatch", "repository_dispatch"})
ROLLBACK = lazy_re(r"roll[\s_-]?back|revert[\s_-]?deploy", re.I)
BUNDLE_DEPLOY = lazy_re(r"\bbundle\s+deploy\b")
# what a GitOps application (its name, source path or chart) deploys: a model or serving service, or a platform tool
# the models run on (the tracking server, the workflow engine, monitoring, storage, the cluster's plumbing)
# "serve"/"serving", not "server": a tracking or metadata server (``mlflow-server``, ``zenml-server``) serves no model
GITOPS_SERVING = lazy_re(r"model|serv(?:e\b|es\b|ing|er-?less)|predict|inference|infer\b|seldon-?deploy|isvc|endpoint|\bapi\b|triton|torchserve", re.I)
GITOPS_PLATFORM = lazy_re(r"mlflow|zenml|clearml|feast|argo|airflow|prefect|dagster|kubeflow|prometheus|grafana|loki|alertmanager|minio|postgres|"
                          r"mysql|redis|kafka|ingress|cert-manager|vault|keycloak|jupyter|tracking|monitoring|logging|istio|knative|infra|operator|"
                          r"crds?\b", re.I)


def gitops_deploys_tool(name: str, with_: tuple[tuple[str, str], ...]) -> bool:
    """An Argo CD application or Flux release that deploys a platform tool (``mlflow-infra`` from ``kubernetes/mlflow``),
    not a model: its name and source path or chart name a tool and nothing about serving."""
    text = " ".join([name, *(v for k, v in with_ if k in ("path", "chart"))])
    return not GITOPS_SERVING.search(text) and bool(GITOPS_PLATFORM.search(text))


_GIT_URL = lazy_re(r"\.git/?$|^git@|^ssh://|//(github\.com|gitlab\.com|bitbucket\.org|dev\.azure\.com)/", re.I)


def gitops_ships_model(name: str, with_: tuple[tuple[str, str], ...]) -> bool:
    """Whether an Argo CD application or Flux release syncs the project's own model or serving manifests: its name or
    source path says serving (``churn-model-serving``, ``kserve-isvc``, ``deploy/serving``). A chart pulled from a Helm
    repository (``chart: sealed-secrets`` from ``https://bitnami-labs.github.io/sealed-secrets``) installs someone
    else's software (a controller, an operator, a platform tool), whatever its name."""
    w = dict(with_)
    if w.get("chart") and not _GIT_URL.search(w.get("repoURL", "")):
        return False
    return bool(GITOPS_SERVING.search(" ".join([name, w.get("path", ""), w.get("chart", "")])))


# a container whose command starts an MLflow tracking server or its UI: a platform tool, not a model's serving service
_TRACKING_SERVER = lazy_re(r"\bmlflow\s+(?:ui|server)\b")


def _flag(words: list[str], *names: str) -> str | None:
    """The value of ``--image X``/``--image=X``/``-t X`` in shell words."""
    for i, w in enumerate(words):
        for n in names:
            if w == n and i + 1 < len(words):
                return words[i + 1]
            if w.startswith(n + "="):
                return w.split("=", 1)[1]
    return None


def _untagged(image: str) -> str:
    image = image.strip("'\"")
    return image.rsplit(":", 1)[0] if ":" in image.rsplit("/", 1)[-1] else image


def _tool_image(index: FileIndex, cmds: list[Cmd], text: str) -> bool:
    """Does a deploy command ship an image the same job builds from a Dockerfile whose container command (its CMD or
    ENTRYPOINT, and the project script that names) starts an MLflow tracking server or UI (``gcloud run deploy mlflow-ui
    --image gcr.io/p/mlflow-ui`` built ``-f Dockerfile.mlflow``)? That deploys the tracking tool, not a model."""
    image = _flag(argv(text), "--image", "--image-uri", "--docker-image")
    if not image:
        return False
    for c in cmds:
        words = argv(c.text)
        if words[:2] not in (["docker", "build"], ["docker", "buildx"]) or _untagged(_flag(words, "-t", "--tag") or "") != _untagged(image):
            continue
        dockerfile = (_flag(words, "-f", "--file") or "Dockerfile").strip("'\"")
        hit = next(iter(index.select((dockerfile.lstrip("./"),))), None)
        if hit is None:
            continue
        parts: list[str] = []
        for ins in index.dockerfile(hit.path):
            if ins.instruction in ("CMD", "ENTRYPOINT"):
                parts.append(ins.value)
                for w in re.findall(r"[\w./-]+\.sh\b", ins.value):
                    script = next(iter(index.select((f"**/{w.rsplit('/', 1)[-1]}",))), None)
                    if script is not None:
                        parts.append(index.text(script.path) or "")
        return bool(_TRACKING_SERVER.search(" ".join(parts))) and "mlflow models serve" not in " ".join(parts)
    return False


_GCF_FLAG = lazy_re(r"--(source|entry-point)[= ]['\"]?([^\s'\"]+)")
_RUNS_PIPELINE = ("create_run_from_job_spec", "PipelineJob", "start_pipeline_execution", "create_pipeline_job")


def _pipeline_trigger(index: FileIndex, cmd: str, cwd: str) -> bool:
    """``gcloud functions deploy ... --source DIR --entry-point FN`` where FN (in DIR/main.py) starts an ML pipeline
    run (Vertex ``PipelineJob``/``create_run_from_job_spec``, SageMaker ``start_pipeline_execution``) and predicts
    nothing: Google's documented way to trigger pipeline runs from Pub/Sub, not a model deployment."""
    if "functions" not in cmd.split():
        return False
    flags = dict(_GCF_FLAG.findall(cmd))
    if "entry-point" not in flags:
        return False
    src = "/".join(p for p in (cwd.strip("/"), flags.get("source", ".").strip("/")) if p and p != ".")
    tree = index.python(f"{src}/main.py" if src else "main.py")
    fn = next((n for n in walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == flags["entry-point"]), None) \
        if tree is not None else None
    if fn is None:
        return False
    text = ast.unparse(fn)
    return any(k in text for k in _RUNS_PIPELINE) and "predict" not in text


def _trigger_service(index: FileIndex, cmds: list[Cmd], c: Cmd, text: str) -> bool:
    """``gcloud run deploy NAME --image IMG`` (or ``--source DIR``) of a service whose code, the directory the job builds
    ``IMG`` from (``docker build -t IMG DIR``), submits ML pipeline runs (Vertex ``PipelineJob``, a KFP run, SageMaker
    ``start_pipeline_execution``) and neither loads a model nor calls one's ``predict``: the endpoint a scheduler calls to
    start training, not a model deployment (a handler named ``predict`` predicts nothing by its name)."""
    w = text.split()
    if w[:3] != ["gcloud", "run", "deploy"] and w[:4] != ["gcloud", "beta", "run", "deploy"]:
        return False
    src = next((x.split("=", 1)[1] for x in w if x.startswith("--source=")), None) or next(
        (w[i + 1] for i, x in enumerate(w[:-1]) if x == "--source"), None)
    base = workdir(c)
    if src is None and (image := deploy_image(text).split(":", 1)[0].strip("'\"")):
        for b in cmds:
            bw = b.text.split()
            if bw[:2] in (["docker", "build"], ["podman", "build"]) and image in (x.split(":", 1)[0].strip("'\"") for x in bw) \
                    and not bw[-1].startswith("-"):
                src, base = bw[-1], workdir(b)
                break
    if src is None:
        return False
    d = "/".join(p for p in (base, src.strip("'\"")) if p and p != ".").strip("/").replace("/./", "/")
    mods = [e for e in index.select((f"{d}/*.py" if d else "*.py",)) if e.vpath.count("/") == (d.count("/") + 1 if d else 0)]
    submits = predicts = False
    for e in mods:
        tree = index.python(e.path)
        if tree is None:
            continue
        source = ast.unparse(tree)
        submits = submits or any(k in source for k in _RUNS_PIPELINE)
        calls = [n for n in walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)]
        predicts = predicts or any(n.func.attr in ("predict", "predict_proba") for n in calls) or loads_model(ops.py_calls(index, e)[1])
    return submits and not predicts


def _ssh_joined(cmds: list[Cmd]) -> list[tuple[Cmd, str]]:
    """Each command with its text; an ``ssh host "a && b && c"`` whose quoted remote command the shell splitter cut at
    its ``&&`` gets its remote command back whole (``ssh_rejoined``), so what it runs on the host can be read."""
    return list(zip(cmds, ssh_rejoined([c.text for c in cmds]), strict=True))


def space_serves(index: FileIndex, text: str, cwd: str) -> bool | None:
    """Does the Hugging Face Space a command uploads (``huggingface-cli upload REPO FOLDER``, a ``git push`` of the working
    directory) run an app that loads a model? None when its app is not in the repository."""
    from mlscan.facts.spaces import app_serves_model, cli_upload_folder

    w = words(text)
    folder = cli_upload_folder(text, cwd) if head(w) in ("huggingface-cli", "hf") else cwd
    return app_serves_model(index, folder) if folder is not None else None


def _serving_deploy(text: str) -> str | None:
    """A command's deploy target, infrastructure provisioning (Terraform, Pulumi, CloudFormation) left out."""
    target = deploy_command(text)
    return target if target not in ("terraform", "pulumi", "iac") else None


_ENV_KEY = lazy_re(r"""^\s*["']?environment["']?\s*:""")


def _environment_line(lines: list[str], job_line: int) -> tuple[int, int | None, str] | None:
    """The ``environment:`` key of the job whose block starts at ``job_line`` (GitHub, GitLab): its line, the line of its
    ``name:`` when it is a mapping, and the two shown together (``environment:`` / ``name: production``)."""
    if not (0 < job_line <= len(lines)):
        return None
    base = len(lines[job_line - 1]) - len(lines[job_line - 1].lstrip())
    child: int | None = None  # the depth of the job's own keys
    for j in range(job_line + 1, min(len(lines), job_line + 200) + 1):
        text = lines[j - 1]
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        ind = len(text) - len(text.lstrip())
        if ind <= base:
            return None
        child = ind if child is None else child
        if ind != child or not _ENV_KEY.match(text):
            continue
        after = text.split(":", 1)[1].split("#", 1)[0].strip()
        if after:
            return j, None, text.strip()
        for k in range(j + 1, min(len(lines), j + 6) + 1):
            sub = lines[k - 1]
            if sub.strip() and len(sub) - len(sub.lstrip()) <= ind:
                break
            if re.match(r"""^\s*["']?name["']?\s*:""", sub):
                return j, k, f"{text.strip()}\n  {sub.strip()}"
        return j, None, text.strip()
    return None


class CiDeploy(Detector):
    """CI/CD deploys of a model or serving service, image pushes and deploy approval gates; feeds M2, T2, T4."""

    id = "ci.deploy"
    questions = ("M2", "T2", "T4")
    globs = (".github/workflows/*.yml", ".gitlab-ci.yml", "**/azure-pipelines*.yml", "**/Jenkinsfile", "**/*.sh", "**/*.tf")
    signals = ("deploy.automated", "image.registry", "governance.approval", "deploy.rollback")
    needs_any = needs_of(CI_NEEDS)  # every finding comes from a CI job

    def detect(self, index: FileIndex) -> Iterator[Finding]:
        """One finding per location: a template step shared by several jobs counts once (its strongest use)."""
        best: dict[tuple[str, str, int | None], Finding] = {}
        for f in self._findings(index):
            key = (f.signal, f.evidence[0].path, f.evidence[0].line)
            if key not in best or f.strength.rank > best[key].strength.rank:
                best[key] = f
        yield from best.values()

    def _findings(self, index: FileIndex) -> Iterator[Finding]:
        jobs = ci_model(index).jobs
        # a pipeline approval action the later stages need (Terraform CodePipeline) counts only when a gated stage deploys
        gated = {(j.path, n) for j in jobs if j.system == "codepipeline" for n in j.needs}
        deploying: set[tuple[str, str]] = set()
        pending: list[CiJob] = []
        repo_built: list[set[str]] = []
        callers = workflow_callers(jobs)  # a reusable workflow's deploys are reached through the job that calls it

        def all_built() -> set[str]:
            """Every image reference the repository's CI jobs build or push (worked out on the first ``--image`` deploy)."""
            if not repo_built:
                repo_built.append(set().union(*(built_images(j) for j in jobs)))
            return repo_built[0]

        package_files = {j.path for j in jobs if publishes_package(j)}
        for job in jobs:
            if not job.applies:
                continue
            deploys: dict[tuple[str, int], tuple[str, bool, tuple[tuple[str, int], ...]]] = {}
            images: dict[tuple[str, int], str] = {}
            chains: dict[tuple[str, int], tuple[str, ...]] = {}
            ships: dict[tuple[str, int], bool] = {}  # a GitOps application: whether it syncs the model's own manifests
            self._step_deploys(index, job, jobs, package_files, deploys, images, chains, ships)
            cmds = job_commands(index, job)
            throwaway = ephemeral_cluster([c.text for c in cmds] + [s.uses for s in job.steps])
            built = built_images(job) if job.self_hosted else set()
            env = dict(job.env)
            for c, text in _ssh_joined(cmds):
                key = (c.via[0].rsplit(":", 1)[0], root_line(c))
                text = ssh_stdin(index, text, c.path, c.cwd)  # ``ssh host 'bash -s' < remote.sh``: the script runs there
                target = deploy_command(text)
                if not target and built and runs_service(text, built) \
                        and not smoke_run(text, [d.text for d in cmds[cmds.index(c) + 1:]], c.step.name):
                    target = "vm"  # the image the job built, started detached and kept up on the project's own runner (not a smoke test)
                if not target and job.self_hosted and (files := compose_up_detached(text)) is not None \
                        and compose_builds_service(index, files, c.cwd):
                    target = "vm"  # the project's own services built and started by compose on the project's own runner
                if target == "serverless" and _pipeline_trigger(index, c.text, workdir(c)):
                    continue  # a Cloud Function that starts a training pipeline run: no model is deployed
                if target == "serverless" and _trigger_service(index, cmds, c, text):
                    continue  # a Cloud Run service that submits pipeline runs: no model is deployed
                if target == "k8s" and applies_setup_only(index, text, workdir(c)):
                    continue  # ``kubectl apply -f k8s/namespace.yaml``: the cluster is prepared, no workload deployed
                if target == "databricks" and BUNDLE_DEPLOY.search(text) and bundles_declare_nothing(index):
                    continue  # ``bundle deploy`` of a bundle that declares no job, model or endpoint: nothing is deployed
                if target and _tool_image(index, cmds, text):
                    continue  # it deploys the tracking server's image, not a model or its serving service
                if target == "hf-spaces" and space_serves(index, text, c.cwd) is False:
                    continue  # a Space whose app loads no model (a benchmark or leaderboard dashboard): no model deploy
                if throwaway and target in ("k8s", "helm"):
                    continue  # deployed to a kind/minikube cluster the job creates: an integration test
                if target in ("terraform", "pulumi") and not serving_infra(index, workdir(c), target):
                    target = None
                if target == "iac" and not iac_serving(index, iac_template(c.text)):
                    target = None
                called = None  # (file, line) of the SDK call that deploys, in the Python program the command runs
                if not target and (py := python_deploy_call(index, c)):
                    target, called = py[0], ((py[1], py[2]) if py[2] is not None else None)
                if not target:
                    from mlscan.facts.git_remote import push_remote  # imported where a step is left to it

                    if url := push_remote(cmds, c, env):
                        target = deploy_command(f"git push {url}")  # a remote the script set up: a Space/Heroku clone's origin
                        if target == "hf-spaces" and space_serves(index, "git push", c.cwd) is False:
                            target = None
                ran = c.active and not (target and unfilled_settings((text,), env))  # ``--name $APP`` with ``APP: your-app-name``
                if target and ran and unbuilt_image(deploy_image(text), all_built()):
                    ran = False  # the image it deploys is one no job builds or pushes (a name CI never gives): nothing to run
                # (a step's action named for deploying, ``uses: ./.github/actions/create-deployment``, is cited at the
                # command its composite steps run when that command names what it deploys)
                if target and (key not in deploys or (ran and not deploys[key][1])
                               or (ran and deploys[key][0] == "other" and not deploys[key][2] and c.path != key[0])):
                    deploys[key] = (target, ran, ((c.path, c.line),) if c.path != key[0] else ())
                    if c.path != key[0]:
                        chains[key] = reached_by(c)
                    if called:
                        # the program's deploying call leads (``model.deploy(endpoint=...)``), reached by the command
                        # that runs it: what a reviewer needs to see that a model is deployed, not only ``python deploy.py``
                        deploys[key] = (target, ran, (called, *deploys[key][2]))
                        # (an SDK call deploying a model or its endpoint: it ships the model itself, where a ``serverless
                        # deploy`` or ``kubectl apply`` in another job shows a deploy of something)
                        ships[key] = True
                        chains[key] = (f"run by {c.path}:{c.line}", *reached_by(c)) if c.path != key[0] else (
                            f"called from CI step {key[0]}:{key[1]}",)
                registry = image_push_command(c.text, job)
                if registry and c.active:
                    images.setdefault(key, registry)
            yield from self._deploys_found(index, job, deploys, chains, ships, callers)
            if ROLLBACK.search(f"{job.name} {job.stage}") and any(a for _, a, _ in deploys.values()):
                # a CI job/stage that redeploys the previous release: rollback is automated
                yield self.found("deploy.rollback", index, job.path, job.line, strength=Strength.STRONG,
                                 attrs={"tool": job.system, "automatic": True, "job": job.name})
            for (path, line), registry in sorted(images.items()):
                yield self.found("image.registry", index, path, line, strength=Strength.STRONG,
                                 attrs={"registry": registry, "system": job.system, "job": job.name})
            if any(a for _, a, _ in deploys.values()):
                deploying.update((job.path, n) for n in job.needs)
            if job.system == "codepipeline" and job.gate and (job.path, job.name) in gated:
                pending.append(job)
            else:
                yield from self._approval(index, job, any(a for _, a, _ in deploys.values()))
        for job in pending:
            if (job.path, job.name) in deploying:
                yield from self._approval(index, job, True)
        yield from self._commented(index, {j.path for j in ci_model(index).jobs if j.applies})

    def _step_deploys(self, index: FileIndex, job: CiJob, jobs: list[CiJob], package_files: set[str],
                      deploys: dict[tuple[str, int], tuple[str, bool, tuple[tuple[str, int], ...]]], images: dict[tuple[str, int], str],
                      chains: dict[tuple[str, int], tuple[str, ...]], ships: dict[tuple[str, int], bool]) -> None:
        """The deploys and image pushes of a job's steps themselves (an action, a GitOps application, a call of a reusable
        deploy workflow, a placeholder step), added to ``deploys``, ``images``, ``chains`` and ``ships`` by step location."""
        for step in job.steps:
            active = step.active and job.active
            target = deploy_uses(step)
            if target in ("terraform", "pulumi") and not serving_infra(index, step.cwd, target):
                target = None
            if target == "iac" and not iac_serving(index, iac_template(with_=step.with_)):
                target = None
            if target == "iac" and job.system == "codepipeline" and workflow_stack(step.name, step.with_):
                ships[(step.path, step.line)] = False  # the training workflow's stack: M2 leads with the model's deploy
            if target == "gitops" and gitops_deploys_tool(step.name, step.with_):
                target = None  # it deploys the tracking server or the workflow engine, not a model
            if target == "gitops" and job.manual:
                active = False  # an Argo CD application without automated sync is synced by hand
            if target == "gitops" and placeholder_value(dict(step.with_).get("repoURL", "")):
                active = False  # a repository the reader still has to fill in (``github.com/USERNAME/...``): nothing syncs
            if target == "gitops":
                ships.setdefault((step.path, step.line), gitops_ships_model(step.name, step.with_))
            if target and unfilled_settings((v for _, v in step.with_), job.env):
                active = False  # a starter workflow's ``service: ${{ env.ECS_SERVICE }}`` still ``MY_ECS_SERVICE``: deploys nothing
            if target and (callee := local_workflow(step.uses)) \
                    and (hit := deciding_command(index, jobs, callee, _serving_deploy)) and (step.path, step.line) not in deploys:
                # a call of a reusable deploy workflow is cited at the called workflow's deploy command
                deploys[(step.path, step.line)] = (target, active, ((hit[0].path, hit[0].line),))
                chains[(step.path, step.line)] = (*reached_by(hit[0]), called_from((step.path, step.line)))
            if target or placeholder_deploy(step) and not (step.path in package_files and not _DEPLOY_CLAIM.search(f"{step.name} {step.command}")):
                # (an echo that announces the release in a workflow publishing a package to PyPI is the package's release)
                deploys.setdefault((step.path, step.line), (target or "placeholder", bool(target) and active, ()))
            registry = image_push_uses(step, job)
            if registry and active:
                images.setdefault((step.path, step.line), registry)

    def _deploys_found(self, index: FileIndex, job: CiJob, deploys: dict[tuple[str, int], tuple[str, bool, tuple[tuple[str, int], ...]]],
                       chains: dict[tuple[str, int], tuple[str, ...]], ships: dict[tuple[str, int], bool],
                       callers: dict[str, tuple[str, int]]) -> Iterator[Finding]:
        """A ``deploy.automated`` finding for each deploy of the job, with its caveats and how it is reached."""
        manual_dispatch = job.manual or not (job.triggers - MANUAL_ONLY)
        for (path, line), (target, active, where) in sorted(deploys.items()):
            # the deploy command leads (in the script the CI step runs, with how it is reached), then the CI step
            lead, rest = (where[0], ((path, line), *where[1:])) if where else ((path, line), ())
            f = self.found("deploy.automated", index, *lead, strength=Strength.STRONG if active else Strength.WEAK,
                           extra=tuple(self.evidence(index, p, ln) for p, ln in rest),
                           attrs={"system": job.system, "target": target, "active": active, "manual_dispatch": manual_dispatch,
                                  "automatic": bool(job.triggers & AUTOMATIC) and not job.manual, "job": job.name,
                                  "environment": job.environment, "stub": target == "placeholder",
                                  # a GitHub workflow with no event (``on:`` missing, or every event commented out) never
                                  # runs: the caveat says so, beside a deploy command that reads as active
                                  **({"no_trigger": True} if job.system == "github" and not job.triggers else {}),
                                  # a reusable workflow (``on: workflow_call`` only) that no workflow of the repository
                                  # calls runs only from other repositories' workflows: nothing here deploys with it
                                  **({"uncalled": True} if uncalled(job, callers) else {}),
                                  **({"ships_model": ships[(path, line)]} if (path, line) in ships else {}),
                                  # ``databricks bundle deploy`` / ``dbx deploy`` puts job definitions in the workspace; it
                                  # ships a model only with a serving endpoint the bundle declares (a job's own deploy
                                  # task, or a registry promotion serving loads, is then the deploy that leads)
                                  **({"ships_model": _databricks_serving(index)} if target == "databricks" else {})})
            chain = chains.get((path, line), ()) if where else ()
            if (caller := callers.get(job.path)) and "workflow_call" in job.triggers and (path, line) != caller:
                chain = (*chain, called_from(caller))  # a reusable workflow's own deploy: how it is reached
            yield with_chain(f, chain)

    def _commented(self, index: FileIndex, paths: set[str]) -> Iterator[Finding]:
        """Deploy commands commented out in CI files (``# - run: kubectl apply -f k8s/``): not run, but a trace."""
        for path in sorted(paths):
            if not path.endswith((".yml", ".yaml", ".groovy")) and "Jenkinsfile" not in path:
                continue
            marker = "//" if "Jenkinsfile" in path or path.endswith(".groovy") else "#"
            for i, raw in enumerate(index.lines(path), start=1):
                text = raw.strip()
                if not text.startswith(marker):
                    continue
                m = COMMENTED_STEP.match(text[len(marker) :])
                target = deploy_command(m.group(1)) if m else None
                if target and target not in ("terraform", "pulumi"):
                    yield self.found("deploy.automated", index, path, i, strength=Strength.WEAK,
                                     attrs={"target": target, "active": False, "commented": True})

    def _approval(self, index: FileIndex, job: CiJob, deploys: bool) -> Iterator[Finding]:
        if not job.active:
            return
        if job.gate in ("manual-approval", "input", "block"):
            step = next((s for s in job.steps if "approv" in s.uses.lower()), None) or next((s for s in job.steps if s.uses), None)
            yield self.found("governance.approval", index, job.path, step.line if step else job.line, strength=Strength.STRONG,
                             attrs={"kind": job.gate, "system": job.system, "job": job.name})
        elif job.gate == "manual" and (deploys or re.search(r"deploy|release|promot|prod", f"{job.name} {job.stage}", re.I)):
            yield self.found("governance.approval", index, job.path, job.line, strength=Strength.STRONG,
                             attrs={"kind": "manual-job", "system": job.system, "job": job.name})
        if job.environment and "pages" not in job.environment.lower() and (deploys or PROD_ENV.search(job.environment)):
            # protection rules and reviewers of an environment are configured outside the repository
            at = _environment_line(index.lines(job.path), job.line)  # the ``environment:`` key that names it, not the job's
            yield self.found("governance.approval", index, job.path, at[0] if at else job.line, strength=Strength.WEAK,
                             end_line=at[1] if at else None, snippet=at[2] if at else None,
                             attrs={"kind": "environment", "environment": job.environment, "system": job.system, "job": job.name})


def _databricks_serving(index: FileIndex) -> bool:
    """Does a Databricks bundle of the repository declare a model serving endpoint (``resources.model_serving_endpoints``)?"""
    return any(index.contains(e.path, (b"model_serving_endpoints",)) for e in index.select(("**/*.yml", "**/*.yaml", "**/*.json")))
