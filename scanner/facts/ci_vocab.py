"""What a CI command or step does (not a detector): run a test suite, deploy a model or service, push an
image, diff metrics across commits, or start training. Commands are judged on their argv (wrappers
such as ``uv run`` removed), pipeline member by pipeline member; steps that are actions, tasks, orbs or
pipes are judged on their reference and inputs."""

from __future__ import annotations

import ast
import re
from functools import lru_cache

from mlscan.ci import CiJob, CiStep
from mlscan.facts.pyast import assigned_values, walk
from mlscan.index import FileIndex

from ..ci.shell import split_commands, word_may_hold
from ..lazyre import lazy_re
from . import hcl, served
from .commands import Cmd, head, is_install, python_target, resolve, segments, words
from .orchestration import call_names, dotted, inferenceish, trainingish

# CI triggers that run a job without a person starting it
AUTOMATIC = frozenset({"push", "pull_request", "schedule", "tag", "pipeline", "gitops", "release", "merge_group", "workflow_run"})

# ------------------------------------------------------------------ tests

NOT_TEST_ENVS = frozenset({"lint", "flake8", "format", "fmt", "docs", "doc", "type", "types", "typing", "mypy", "pyright",
                           "build", "pre-commit", "precommit", "style", "check-format", "black", "isort", "ruff", "clean",
                           "release", "publish", "pylint", "bandit", "safety", "audit", "coverage-report"})


@lru_cache(maxsize=1 << 15)
def test_runner(text: str) -> str | None:
    """pytest | unittest | tox | nox | nose | hatch test | python (a test file run directly) | npm test, or None."""
    if is_install(text):
        return None
    for w in segments(text):
        h = head(w)
        if not w or any(x in ("--version", "--help", "-h", "--collect-only", "--co") for x in w):
            continue
        if h in ("pytest", "py.test"):
            return "pytest"
        if h.startswith("python") or h in ("py", "coverage"):
            if "-m" in w:
                mod = w[w.index("-m") + 1] if w.index("-m") + 1 < len(w) else ""
                if mod in ("pytest", "unittest", "nose", "nose2", "tox", "nox"):
                    return mod
            elif h.startswith("python") and len(w) > 1 and _test_file(w[1]):
                return "python"
            elif h.startswith("python") and w[1:3] == ["manage.py", "test"]:
                return "django"
        if h in ("tox", "nox"):
            envs = [x for i, x in enumerate(w) if i > 0 and w[i - 1] in ("-e", "-s", "--session", "--sessions")]
            envs = [e for x in envs for e in x.split(",")]
            if envs and all(e.strip().lower() in NOT_TEST_ENVS for e in envs):
                continue
            return h
        if h == "hatch" and "test" in w[1:2]:
            return "hatch test"
        if h in ("npm", "yarn", "pnpm") and (w[1:2] == ["test"] or w[1:3] in (["run", "test"], ["run-script", "test"])):
            return "npm test"
        if "pytest" in w[1:] and h in ("docker", "docker-compose", "podman", "kubectl"):
            return "pytest"
        if h == "Rscript" and re.search(r"testthat|devtools::test|test_dir|test_check", " ".join(w[1:])):
            return "testthat"
    return None


def _test_file(arg: str) -> bool:
    name = arg.rsplit("/", 1)[-1]
    return name.endswith(".py") and (name.startswith("test") or name.endswith("_test.py") or "/tests/" in f"/{arg}")


def test_target_name(name: str) -> bool:
    return bool(set(re.split(r"[^a-z0-9]+", name.lower())) & {"test", "tests", "unittest", "unittests", "pytest", "integration"})


# the first or last word of a task named for tests (``tests_training``, ``test-e2e``, ``training-tests``, ``smoke_train``);
# a word inside the name is no test (``train_test_split`` splits data)
_TEST_NAME_ENDS = frozenset({"test", "tests", "testing", "unittest", "unittests", "pytest", "smoke", "e2e"})
_TASK_HEADS = frozenset({"make", "gmake", "$(MAKE)", "${MAKE}", "just", "task", "mise", "npm", "yarn", "pnpm", "poe"})
_TASK_VERBS = frozenset({"run", "r", "run-script"})


def test_named_task(text: str) -> bool:
    """Does a command run a task-runner target named for tests (``make tests_training``, ``just test-e2e``, ``npm run
    test:train``)? What such a target runs tests the code, whatever it trains."""
    w = words(text)
    if head(w) not in _TASK_HEADS:
        return False
    names = [x for x in w[1:] if not x.startswith("-") and "=" not in x and x not in _TASK_VERBS]
    for n in names[:3]:
        parts = [p for p in re.split(r"[^a-z0-9]+", n.lower()) if p]
        if parts and (parts[0] in _TEST_NAME_ENDS or parts[-1] in _TEST_NAME_ENDS):
            return True
    return False


_TEST_TREE_PROGRAM = lazy_re(r"^(?:\./)?(?:[\w.-]+/)*tests?/(?:[\w.-]+/)*[\w.-]+\.py$")


def test_tree_program(text: str) -> bool:
    """Does a command run a program of the test tree (``torchrun --nproc_per_node 2 tests/training/train.py``,
    ``accelerate launch tests/test_fsdp.py``)? Its first ``.py`` argument sits under a ``tests``/``test`` folder."""
    prog = next((x for x in words(text) if x.endswith(".py") and not x.startswith("-")), "")
    return bool(prog) and _TEST_TREE_PROGRAM.match(prog) is not None


# ------------------------------------------------------------------ deploys

_EPHEMERAL = lazy_re(r"\b(kind\s+create\s+cluster|minikube\s+start|k3d\s+cluster\s+create|microk8s\s+(start|install)|ctlptl\s+create)\b")


def ephemeral_cluster(texts: list[str]) -> bool:
    """The job creates a throwaway cluster (kind, minikube, k3d): its kubectl/helm deploys are tests."""
    return any(_EPHEMERAL.search(t) for t in texts) or any("setup-kind" in t or "setup-minikube" in t or "kind-action" in t for t in texts)

_KUBECTL = {"apply", "replace", "patch", "set", "rollout", "create"}


# Published Helm charts (``repo/chart``, ``oci://...``) of the platforms a model runs on, not of the model: orchestrators,
# trackers, notebooks, storage and monitoring stacks. A project's own chart (a path) or a serving chart is a deploy.
_PLATFORM_CHART = lazy_re(
    r"^(?:oci://\S+/|[\w.-]+/)(?:dagster(?:-user-deployments)?|airflow|prefect-(?:server|worker|agent)|mlflow|"
    r"kubeflow[\w-]*|argo(?:-workflows|-cd|-events)?|kube-prometheus-stack|prometheus|grafana|loki|jupyterhub|minio|postgresql|"
    r"redis|elasticsearch|kibana|feast[\w-]*|zenml[\w-]*|clearml[\w-]*|label-studio)$")


# kinds ``kubectl create <kind> --dry-run -o yaml | kubectl apply -f -`` makes idempotent: the cluster's set-up around a
# deploy (a namespace, a secret, a config map, access), never the workload that serves a model
_SETUP_KINDS = frozenset({"ns", "namespace", "secret", "configmap", "cm", "serviceaccount", "sa", "role", "rolebinding",
                          "clusterrole", "clusterrolebinding", "quota", "resourcequota"})


# what a cluster needs before a workload runs on it: where it runs, its credentials, settings and permissions, its storage
_SETUP_MANIFEST_KINDS = frozenset({"namespace", "secret", "configmap", "serviceaccount", "role", "rolebinding", "clusterrole",
                                   "clusterrolebinding", "resourcequota", "limitrange", "persistentvolume",
                                   "persistentvolumeclaim", "storageclass", "networkpolicy", "sealedsecret", "externalsecret"})
_MANIFEST_EXT = (".yaml", ".yml", ".json")


def applies_setup_only(index: FileIndex, text: str, cwd: str = "") -> bool:
    """``kubectl apply -f k8s/namespace.yaml`` (or ``-f k8s/setup/``): every manifest the command applies is a file or
    folder of the repository whose objects only prepare the cluster (``_SETUP_MANIFEST_KINDS``: a namespace, a secret,
    a config map, an account and its roles, a claim on storage), so the command deploys no workload; a
    ``kubectl apply`` of a published release's manifest (``https://.../releases/download/v0.11.0/kserve.yaml``)
    installs someone else's platform. A manifest that cannot be read, or with any other object, is a deploy."""
    files: list[str] = []
    for w in segments(text):
        if head(w) != "kubectl":
            continue
        for i, x in enumerate(w):
            val = w[i + 1] if x in ("-f", "--filename") and i + 1 < len(w) else x.split("=", 1)[1] if x.startswith("--filename=") else None
            if val is not None:
                files.append(val)
    if not files:
        return False
    base = cwd.strip("/")
    for f in files:
        if f.startswith(("http://", "https://")):
            if "/releases/download/" not in f:
                return False
            continue
        name = f.removeprefix("./").rstrip("/")
        if not name or name.startswith(("/", "..")) or "$" in name or "{" in name:
            return False
        # relative to the step's directory, else to the repository's root (a script run from the root)
        found = next((x for rel in dict.fromkeys(("/".join(p for p in (base, name) if p), name))
                      if (x := [e for e in index.select((rel, f"{rel}/**/*")) if e.path.endswith(_MANIFEST_EXT)])), [])
        if not found:
            return False
        for e in found:
            docs = [d for d in index.yaml(e.path) if d is not None]  # (JSON is YAML)
            if not docs or not all(isinstance(d, dict) and str(d.get("kind", "")).lower() in _SETUP_MANIFEST_KINDS for d in docs):
                return False
    return True


def _stdin(argv: list[str]) -> bool:
    return any(x in ("-f", "--filename") and nxt == "-" for x, nxt in zip(argv, argv[1:], strict=False)) \
        or "--filename=-" in argv or "-f-" in argv


def _cluster_setup(argv: list[str]) -> bool:
    a = [x for x in argv[1:] if not x.startswith("-")]
    return head(argv) == "kubectl" and a[:1] == ["create"] and len(a) > 1 and a[1] in _SETUP_KINDS


# shell keywords before a command whose exit status a condition or loop tests: the command still runs
_CONDITION_KEYWORDS = frozenset({"if", "elif", "while", "until", "!"})


@lru_cache(maxsize=1 << 15)
def deploy_command(text: str) -> str | None:
    """The deploy target of a shell command: k8s | helm | cloud-endpoint | sagemaker | app-service |
    serverless | container-service | paas | databricks | anyscale | ray-serve | gitops | vm | terraform |
    pulumi | iac | hf-spaces ... (terraform/pulumi need a check of what they provision)."""
    if (text.startswith("ssh ") or "ssh" in text and head(words(text)) == "ssh") and _remote_deploy(text):
        return "vm"  # the remote command may install the app's requirements before it restarts the app
    if is_install(text):
        return None
    before: list[str] = []  # the previous member of the pipeline (what a ``-f -`` reads)
    for w in segments(text):
        while w and w[0] in _CONDITION_KEYWORDS:
            w = words(" ".join(w[1:]))  # ``if timeout 2700s gcloud ai endpoints deploy-model ...; then``: the condition runs
        h = head(w)
        a = [x for x in w[1:] if not x.startswith("-")]
        s1, s2, s3 = (a + ["", "", ""])[:3]
        fed, before = before, w
        if h == "kubectl" and s1 in _KUBECTL:
            if s1 == "rollout" and s2 not in ("restart", "undo"):
                continue
            if _stdin(w) and _cluster_setup(fed):
                continue  # ``kubectl create ns x --dry-run=client -o yaml | kubectl apply -f -``: set-up, not a deploy
            if s1 == "create" and "-f" not in w and "--filename" not in w:
                continue
            if s1 == "set" and s2 != "image":
                continue
            return "k8s"
        if h in ("helm", "helm3", "helmv3") and s1 in ("upgrade", "install"):
            if any(_PLATFORM_CHART.match(x) for x in (s2, s3)):
                continue  # a published chart of an orchestrator, tracker or monitoring stack: infrastructure, not a model
            return "helm"
        if h == "helmfile" and s1 in ("apply", "sync", "deploy"):
            return "helm"
        if (h == "skaffold" and s1 in ("run", "deploy")) or (h == "kn" and s1 == "service" and s2 in ("create", "update", "apply")) \
                or (h == "kapp" and s1 == "deploy") or (h == "gke-deploy" and s1 == "run"):
            return "k8s"
        if (h == "argocd" and s1 == "app" and s2 == "sync") or (h == "flux" and s1 == "reconcile"):
            return "gitops"
        if h == "az":
            if s1 == "ml" and (s2 in ("online-deployment", "online-endpoint", "batch-deployment", "batch-endpoint") and s3 in ("create", "update")
                               or (s2 == "model" and s3 == "deploy") or (s2 == "service" and s3 == "update")):
                return "cloud-endpoint"  # ``az ml model update`` edits a registered model's tags or description: no deploy
            if s1 in ("webapp", "functionapp", "containerapp") and s2 in ("deploy", "up", "create", "update", "deployment", "config") \
                    or (s1 == "container" and s2 == "create"):
                return "app-service"
        if h == "aws":
            if s1 == "sagemaker" and s2 in ("create-endpoint", "update-endpoint", "update-endpoint-weights-and-capacities"):
                return "sagemaker"
            if s1 == "lambda" and s2 in ("update-function-code", "update-function-configuration", "create-function", "publish-version", "update-alias"):
                return "serverless"
            if (s1 == "ecs" and s2 in ("update-service", "create-service", "deploy")) or (s1 == "apprunner" and s2 in ("create-service", "update-service", "start-deployment")):
                return "container-service"
            if s1 == "elasticbeanstalk" and s2 in ("update-environment", "create-environment"):
                return "paas"
            if s1 == "cloudformation" and s2 in ("deploy", "create-stack", "update-stack"):
                return "iac"
            if s1 == "deploy" and s2 == "create-deployment":
                return "vm"
        if h in ("sam",) and s1 == "deploy" or h == "copilot" and "deploy" in a[:2] or h == "eb" and s1 == "deploy":
            return "serverless" if h == "sam" else "container-service" if h == "copilot" else "paas"
        if h == "cdk" and s1 == "deploy":
            return "iac"
        if h == "gcloud":
            g = [x for x in a if x not in ("beta", "alpha")]
            g1, g2, g3 = (g + ["", "", ""])[:3]
            if g1 == "run" and (g2 == "deploy" or (g2 == "services" and g3 in ("update", "replace", "update-traffic"))):
                return "serverless"
            if g1 == "functions" and g2 == "deploy":
                return "serverless"
            if g1 == "app" and g2 == "deploy":
                return "paas"
            if g1 in ("ai", "ai-platform") and (g2 == "endpoints" and g3 in ("deploy-model", "create", "mutate-deployed-model")
                                                or g2 in ("versions", "models") and g3 == "create"):
                return "cloud-endpoint"
            if g1 == "deploy" and g2 == "releases" and g3 == "create":
                return "k8s"
        if h in ("databricks", "dbx"):
            if (h == "dbx" and s1 == "deploy") or (s1 == "bundle" and s2 == "deploy") or (s1 == "jobs" and s2 in ("create", "reset")):
                return "databricks"
        if h in ("serverless", "sls", "zappa", "chalice", "modal") and s1 in ("deploy", "update"):
            return "serverless"
        if h in ("fly", "flyctl", "railway") and s1 in ("deploy", "up"):
            return "paas"
        if h == "heroku" and (s1.startswith("container:release") or s1 == "releases:rollback"):
            return "paas"
        if h == "git" and s1 == "push" and any("heroku" in x or "dokku" in x for x in a[1:]):
            return "paas"
        if h == "git" and s1 == "push" and any("huggingface.co/spaces" in x for x in a[1:]):
            return "hf-spaces"
        if h in ("huggingface-cli", "hf") and s1 == "upload" and "--repo-type=space" in " ".join(w).replace("--repo-type space", "--repo-type=space"):
            return "hf-spaces"
        if h == "anyscale" and s1 == "service" and s2 in ("rollout", "deploy"):
            return "anyscale"
        if h == "serve" and s1 == "deploy":
            return "ray-serve"
        if (h == "bentoml" and s1 == "deploy") or (h == "bentoctl" and s1 == "apply") or (h == "truss" and s1 == "push"):
            return "serving-platform"
        if h == "mlflow" and (s1 == "deployments" and s2 in ("create", "update") or s1 == "sagemaker" and s2 == "deploy"):
            return "cloud-endpoint"
        if h in ("terraform", "tofu", "terragrunt") and ("apply" in a[:2] or a[:2] == ["run-all", "apply"]):
            return "terraform"
        if h == "pulumi" and s1 == "up":
            return "pulumi"
        if h == "ssh" and _remote_deploy(" ".join(w[1:])):
            return "vm"
        if h == "ansible-playbook" and any("deploy" in x for x in a):
            return "vm"
    return None


# what a command run on a remote host over ssh does to start or restart the service there: containers brought up, a
# service manager told to (re)start it, or the app started again in the background (``pkill -f app.py; nohup python3
# app.py &``: the usual way to redeploy a Flask/FastAPI app copied to a VM)
_REMOTE_RESTART = re.compile(r"docker(-compose| compose)?\s+(compose\s+)?(up|run|pull)|systemctl\s+(re)?start|kubectl\s+apply|"
                             r"\bpm2\s+(start|restart|reload)|supervisorctl\s+(start|restart|reload|update)|"
                             r"\bnohup\s+(\S*/)?(python\d?(\.\d+)?|gunicorn|uvicorn|flask|streamlit)\b|"
                             # containers restarted in place (``docker restart api``, ``docker compose restart serving``)
                             r"\b(docker(-compose| compose)?|podman)\s+(compose\s+)?restart\b|\bsystemctl\s+reload\b|"
                             r"\bdocker\s+(stack\s+deploy|service\s+update)\b")  # a swarm service rolled out
# ``docker exec api python fetch_latest.py``: a command run inside the running serving container that fetches, loads or
# swaps the model it serves (a hot reload on the host); ``docker exec db pg_dump`` or ``docker exec app pytest`` is not one
_REMOTE_EXEC = re.compile(r"\b(?:docker|podman)\s+exec\s+([^;&|]*)")
_RELOAD_VERBS = frozenset({"fetch", "pull", "download", "load", "reload", "update", "refresh", "swap", "sync", "deploy", "promote"})
_RELOAD_OBJECTS = frozenset({"model", "models", "latest", "weights", "checkpoint", "checkpoints", "artifact", "artifacts", "champion"})


def _remote_deploy(remote: str) -> bool:
    """A remote command that (re)starts a service or refreshes the model a running container serves; a background job
    that trains (``nohup python train.py &``) is a training run on the host, not a deploy."""
    m = _REMOTE_RESTART.search(remote)
    if m is None:
        return any(_reloads_model(x.group(1)) for x in _REMOTE_EXEC.finditer(remote))
    if m.group(0).startswith("nohup"):
        started = remote[m.start():].split("&", 1)[0]
        return not trainingish(started)
    return True


def _ssh_script_deploys(script: str) -> bool:
    """Does the script an ssh action runs on the host (re)start a service (``_remote_deploy``), or hand it to a service
    manager or cluster (systemctl, kubectl, pm2, gunicorn)? ``docker logs``/``docker ps`` alone deploy nothing."""
    return _remote_deploy("; ".join(split_commands(script))) or bool(re.search(r"systemctl|kubectl|pm2|gunicorn", script))


def _reloads_model(executed: str) -> bool:
    """Does what ``docker exec`` runs in a container fetch, load or swap a model (``serving python fetch_latest.py``,
    ``api python -m app.reload_model``)? Training and tests run there are no deploy."""
    parts = {p for w in executed.split() if not w.startswith("-") for p in re.split(r"[^a-z0-9]+", w.lower()) if p}
    return bool(parts & _RELOAD_VERBS and parts & _RELOAD_OBJECTS) and not trainingish(executed) and not parts & {"test", "tests", "pytest"}


def ssh_rejoined(texts: list[str]) -> list[str]:
    """The texts of consecutive commands, an ``ssh host "a && b && c"`` (``sshpass ... ssh`` too) whose quoted remote
    command the shell splitter cut at its ``&&``/``;`` or line ends given back whole (the following pieces up to the
    closing quote, at most 20), so what it runs on the host can be read."""
    out: list[str] = []
    for i, text in enumerate(texts):
        quote = next((q for q in ('"', "'") if text.count(q) % 2), "") if "ssh" in text and head(words(text)) == "ssh" else ""
        j = i + 1
        while quote and j < len(texts) and j - i < 20:
            text += " && " + texts[j]
            j += 1
            if texts[j - 1].count(quote) % 2:
                break
        out.append(text)
    return out


def ssh_stdin(index: FileIndex, text: str, path: str, cwd: str = "") -> str:
    """An ``ssh host 'bash -s' < scripts/remote.sh`` (or ``sshpass ... ssh host < remote.sh``) with the commands of the
    local script it feeds the remote shell appended, as a here-document's are; any other text as it is."""
    if "<" not in text or "ssh" not in text:
        return text
    w = words(text)
    if head(w) != "ssh":
        return text
    local = next((w[i + 1] if x == "<" and i + 1 < len(w) else x[1:] for i, x in enumerate(w) if x.startswith("<") and not x.startswith("<<")), "")
    e = resolve(index, local, path, cwd) if local else None
    body = split_commands(index.text(e.path) or "") if e is not None else []
    return f"{text} {'; '.join(body)}" if body else text


ACTIONS = {
    "gonuit/heroku-docker-deploy": "paas", "akhileshns/heroku-deploy": "paas", "superfly/flyctl-actions": "paas",
    "azure/webapps-deploy": "app-service", "azure/functions-action": "app-service", "azure/container-apps-deploy-action": "app-service",
    "azure/aci-deploy": "app-service", "azure/k8s-deploy": "k8s", "azure/arm-deploy": "iac", "azure/aml-deploy": "cloud-endpoint",
    "google-github-actions/deploy-cloudrun": "serverless", "google-github-actions/deploy-cloud-functions": "serverless",
    "google-github-actions/deploy-appengine": "paas", "aws-actions/amazon-ecs-deploy-task-definition": "container-service",
    "aws-actions/aws-cloudformation-github-deploy": "iac", "appleboy/lambda-action": "serverless", "serverless/github-action": "serverless",
    "deliverybot/helm": "helm", "wahyd4/kubectl-helm-action": "helm", "steebchen/kubectl": "k8s", "actions-hub/kubectl": "k8s",
    "appleboy/ssh-action": "vm", "easingthemes/ssh-deploy": "vm",
}
NOT_DEPLOY = lazy_re(r"pages|gh-pages|docs?\b|mkdocs|sphinx|pypi|npm|release-drafter|storybook|wiki", re.I)
# Deploys of an orchestrator's own code: a Dagster+ code location (the ``dagster-cloud`` CLI and GitHub action, ``dg plus
# deploy``) or an Astronomer Airflow deployment (``astro deploy``, its action). They ship the pipeline definitions, which
# train and store models when they run; no model and no serving service goes out with them (as a platform's Helm chart,
# ``_PLATFORM_CHART``, is infrastructure)
_ORCHESTRATOR_ACTION = lazy_re(r"^(dagster-io/dagster-cloud-action|astronomer/deploy-action)(/|@|$)", re.I)
_ORCHESTRATOR_CLI = lazy_re(r"(^|[\s;&|(])(dagster-cloud\s+(ci|serverless|workspace|deployment)\b|dg\s+plus\s+deploy\b|astro\s+deploy\b)")


def orchestrator_code_deploy(step: CiStep) -> bool:
    """Does a CI step ship an orchestrator's code (``_ORCHESTRATOR_ACTION``, ``_ORCHESTRATOR_CLI``) rather than a model?"""
    return bool(step.uses and _ORCHESTRATOR_ACTION.search(step.uses.strip())
                or step.command and _ORCHESTRATOR_CLI.search(step.command))
TASKS = {
    "helmdeploy": "helm", "kubernetesmanifest": "k8s", "kubernetes": "k8s", "azurewebapp": "app-service", "azurewebappcontainer": "app-service",
    "azurermwebappdeployment": "app-service", "azurefunctionapp": "app-service", "azurefunctionappcontainer": "app-service",
    "azurecontainerapps": "app-service", "lambdadeployfunction": "serverless", "awselasticbeanstalkdeployapplication": "paas",
    "cloudformationcreateorupdatestack": "iac", "azureresourcemanagertemplatedeployment": "iac", "ecsdeploy": "container-service",
}
CODEPIPELINE = {"ECS": "container-service", "CodeDeployToECS": "container-service", "CodeDeploy": "vm", "CloudFormation": "iac",
                "ElasticBeanstalk": "paas", "AppRunner": "container-service", "Lambda": "serverless"}
CDK = {"EcsDeployAction": "container-service", "CodeDeployEcsDeployAction": "container-service", "CodeDeployServerDeployAction": "vm",
       "CloudFormationCreateUpdateStackAction": "iac", "CloudFormationExecuteChangeSetAction": "iac", "ElasticBeanstalkDeployAction": "paas"}


def deploy_uses(step: CiStep) -> str | None:
    """The deploy target of an action/task/orb/pipe/pipeline action step."""
    uses = step.uses
    if not uses or step.command:
        return None
    ref = uses.split("@")[0]
    with_ = {k.lower(): v for k, v in step.with_}
    low = ref.lower()
    if low.startswith(("argocd/", "flux/")):
        return "gitops"
    if low.startswith("codepipeline:deploy:"):
        return CODEPIPELINE.get(ref.split(":", 2)[2])
    if low.startswith("cdk:"):
        return CDK.get(ref[4:])
    task = low.rsplit(".", 1)[-1]  # marketplace tasks: publisher.extension.Task
    if task in TASKS:
        if task == "kubernetes" and with_.get("command", "").lower() not in ("apply", "set", "replace"):
            return None
        if task == "kubernetesmanifest" and with_.get("action", "deploy").lower() not in ("deploy", "patch", "scale"):
            return None
        if task == "helmdeploy" and with_.get("command", "").lower() not in ("upgrade", "install"):
            return None
        return TASKS[task]
    if "terraform" in task and with_.get("command", "").lower() == "apply":
        return "terraform"
    if low.startswith("azureml") and not re.search(r"wait|job", task) or "modeldeploy" in task:
        return "cloud-endpoint"  # Azure ML tasks, except the ones that wait for or run a job (AzureMLJobWaitTask)
    if low in ACTIONS:
        if low in ("appleboy/ssh-action",) and not _ssh_script_deploys(with_.get("script", "")):
            return None  # an ssh that copies logs or runs tests on the host deploys nothing
        if low in ("serverless/github-action", "superfly/flyctl-actions", "steebchen/kubectl", "actions-hub/kubectl") \
                and not re.search(r"deploy|apply|up\b", with_.get("args", "") + with_.get("command", "")):
            return None
        return ACTIONS[low]
    if NOT_DEPLOY.search(low) or _ORCHESTRATOR_ACTION.search(low) or "@" in uses and "/" not in ref:  # Azure tasks: only the known ones above
        return None
    if re.search(r"deploy|rollout|release-to|upgrade-helm|create-or-update-resource", low):  # orbs, pipes, other actions
        for key, target in (("helm", "helm"), ("kube", "k8s"), ("eks", "k8s"), ("gke", "k8s"), ("aks", "k8s"), ("ecs", "container-service"),
                            ("lambda", "serverless"), ("sam", "serverless"), ("cloud-run", "serverless"), ("cloudrun", "serverless"),
                            ("function", "serverless"), ("heroku", "paas"), ("beanstalk", "paas"), ("web-app", "app-service"),
                            ("webapp", "app-service"), ("sagemaker", "sagemaker")):
            if key in low:
                return target
        return "other"
    return deploy_inputs(low, with_)


# inputs of third-party Helm/Kubernetes deploy actions, by what they mean rather than by who publishes the action: the chart
# (``chart``, ``chart-dir``, ``chart_path`` ...) and the release it becomes (``release``, ``release-name``, ``name``), as
# deliverybot/helm, licenseware/helm, romnn/helm-deploy-action and their many forks take them; manifests applied to a
# cluster (azure/k8s-deploy's ``manifests``); or the helm/kubectl command line an action runs (``exec:``/``command:``,
# WyriHaximus/github-action-helm3, koslib/helm-eks-action)
_CHART_INPUT = ("chart", "chartdir", "chartpath", "chartname", "chartref", "charts")  # (a tuple: the first one given is read)
_RELEASE_INPUT = frozenset({"release", "releasename", "name", "helmrelease"})
_VALUES_INPUT = frozenset({"namespace", "values", "valuefiles", "valuesfiles", "valuesfile", "set", "setstring"})
_COMMAND_INPUT = frozenset({"exec", "command", "args", "run", "script", "cmd", "commands"})
# actions that check, render or publish charts and manifests instead of installing them (chart-testing, chart-releaser,
# k8s-bake, k8s-lint, kubeconform ...)
_NOT_INSTALLING = lazy_re(r"lint|test|validat|kubeval|kubeconform|conftest|check|scan|bake|render|template|diff|releaser|publish|package|push|docs?\b|setup-|install-")
_NON_DEPLOY_VERB = lazy_re(r"^\s*(uninstall|delete|remove|removed|destroy|lint|template|package|test|diff|reject|rollback|status|list)\b", re.I)


def deploy_inputs(ref: str, with_: dict[str, str]) -> str | None:
    """The deploy target of a third-party action judged by its inputs (``_CHART_INPUT`` with ``_RELEASE_INPUT`` or values
    for the release, ``_VALUES_INPUT``: helm; ``manifests``: k8s; a helm/kubectl command line in a ``_COMMAND_INPUT``: what
    that command deploys). Input names are compared without case, dashes and underscores. A task or action input naming
    another verb (``task: remove``, ``action: reject``), ``dry-run: true`` or an action named for checking or publishing
    (``_NOT_INSTALLING``) deploys nothing; a published platform chart (``_PLATFORM_CHART``) is infrastructure."""
    keys = {re.sub(r"[-_]", "", k.lower()): v for k, v in with_.items()}
    if _NOT_INSTALLING.search(ref) or truthy_text(keys.get("dryrun", "")):
        return None
    for k in sorted(_COMMAND_INPUT & keys.keys()):
        for cmd in split_commands(keys[k]):
            target = deploy_command(cmd.strip())
            if target in ("helm", "k8s", "gitops"):
                return target
    if any(_NON_DEPLOY_VERB.match(keys.get(k, "")) for k in ("task", "action", "command", "mode")):
        return None
    chart = next((keys[k] for k in _CHART_INPUT if keys.get(k, "").strip()), None)
    if chart is not None and (_RELEASE_INPUT | _VALUES_INPUT) & keys.keys() and not _PLATFORM_CHART.match(chart.strip()):
        return "helm"
    if keys.get("manifests", "").strip():
        return "k8s"
    return None


def truthy_text(v: str) -> bool:
    return v.strip().lower() in ("true", "yes", "1", "on")


def placeholder_deploy(step: CiStep) -> bool:
    """An echo/no-op step that claims to deploy (``run: echo "Deploying model..."``). A step whose every line writes the
    job's summary or outputs (``echo "## Deployed" >> $GITHUB_STEP_SUMMARY``) reports on the job; it claims nothing."""
    return step.placeholder and bool(re.search(r"\bdeploy|\brollout\b|\bkubectl\b|\bhelm\b|\brelease\b|\bpromot", f"{step.name} {step.command}", re.I)) \
        and not all(_JOB_REPORT.search(c) for c in split_commands(step.command))


# GitHub Actions' job summary, step outputs and environment files (docs: "Workflow commands", "Adding a job summary")
_JOB_REPORT = lazy_re(r""">>?\s*["']?\$\{?(?:GITHUB_STEP_SUMMARY|GITHUB_OUTPUT|GITHUB_ENV)\}?["']?\s*$""")


# ------------------------------------------------------------------ images

_REGISTRIES = (
    (lazy_re(r"ghcr\.io"), "ghcr"), (lazy_re(r"\.dkr\.ecr\.|\bECR_|ecr", re.I), "ecr"),
    (lazy_re(r"(^|[/.])gcr\.io"), "gcr"), (lazy_re(r"-docker\.pkg\.dev"), "artifact-registry"),
    (lazy_re(r"azurecr\.io|\bACR_|acr", re.I), "acr"), (lazy_re(r"quay\.io"), "quay"),
    (lazy_re(r"registry\.gitlab\.com|CI_REGISTRY"), "gitlab"), (lazy_re(r"registry\.heroku\.com|heroku", re.I), "heroku"),
)


def registry_of(ref: str, job: CiJob | None = None) -> str:
    for rx, name in _REGISTRIES:
        if rx.search(ref):
            return name
    if job is not None:
        ctx = " ".join(s.uses + " " + " ".join(v for _, v in s.with_) for s in job.steps)
        for rx, name in _REGISTRIES:
            if name != "heroku" and rx.search(ctx):
                return name
    first = ref.split("/", 1)[0]
    if "/" in ref and "." not in first and "$" not in first and ":" not in first:
        return "dockerhub"
    return "docker.io" if "/" not in ref and "$" not in ref else "registry"


def built_images(job: CiJob) -> set[str]:
    """The image references a job builds or pushes: ``docker build``/``docker buildx build``/``podman build``
    ``-t``/``--tag`` values, ``docker push`` and ``docker/build-push-action``'s ``tags`` (quotes dropped; each also
    without its tag)."""
    refs: list[str] = []
    for s in job.steps:
        if s.active and "docker/build-push-action" in s.uses:
            refs += [t.strip() for t in re.split(r"[\n,]+", dict(s.with_).get("tags", "")) if t.strip()]
    for _s, cmd in job.commands():
        for w in segments(_gh_compact(cmd)):
            if head(w) in ("docker", "podman") and "build" in w[1:3]:
                refs += [w[i + 1] for i, x in enumerate(w[:-1]) if x in ("-t", "--tag")]
                refs += [x.split("=", 1)[1] for x in w if x.startswith("--tag=")]
            elif head(w) in ("docker", "podman") and w[1:2] == ["push"]:
                refs += [x for x in w[2:3] if not x.startswith("-")]
    out = set()
    for r in refs:
        r = r.strip("'\"")
        out |= {r, _untagged(r)}
    return out - {""}


def _gh_compact(text: str) -> str:
    """``${{ secrets.X }}`` written without spaces, so a shell split keeps it in one word."""
    return re.sub(r"\$\{\{\s*(.*?)\s*\}\}", lambda m: "${{" + m.group(1).replace(" ", "") + "}}", text)


def _untagged(ref: str) -> str:
    """``repo/name:tag`` -> ``repo/name`` (a registry's ``host:port/`` stays)."""
    head_, sep, tail = ref.rpartition(":")
    return head_ if sep and "/" not in tail else ref


_VAR = re.compile(r"\$\{\{\s*(?:secrets|vars|env|inputs)\.(\w+)\s*\}\}|\$\{(\w+)\}|\$(\w+)")


def _image_parts(ref: str) -> tuple[str, str]:
    """(namespace, name) of an image reference, its tag dropped and every variable written one way (``$NAME``:
    ``${{ secrets.NAME }}``, ``${NAME}`` and ``$NAME`` are the same owner)."""
    ref = _VAR.sub(lambda m: "$" + next(g for g in m.groups() if g), _untagged(ref.strip("'\"")))
    ns, _, name = ref.rpartition("/")
    return ns, name


def deploy_image(text: str) -> str:
    """The image a deploy command names with ``--image`` (``gcloud run deploy``, ``az containerapp update`` ...)."""
    for w in segments(_gh_compact(text)):
        for i, x in enumerate(w):
            if x == "--image" and i + 1 < len(w):
                return w[i + 1]
            if x.startswith("--image="):
                return x.split("=", 1)[1]
    return ""


def unbuilt_image(ref: str, built: set[str]) -> bool:
    """Does a deploy name an image that no CI job builds or pushes, in a namespace CI does push to? The same owner
    (``$DOCKERHUB_USERNAME/...``) but a name no build gives (``mlops-backend`` where the jobs push
    ``mlopsproject-backend``): the deploy pulls an image that does not exist. An image of another namespace (a public
    model server, another team's registry) is not judged, nor any when a build names its image by a variable."""
    ns, name = _image_parts(ref)
    if not ns or not name or "$" in name:
        return False
    parts = [_image_parts(b) for b in built]
    if any("$" in bname for _, bname in parts):
        return False  # a build whose image name is a variable could be this one
    return any(bns == ns for bns, _ in parts) and not any(bname == name for _, bname in parts)


_COMPOSE_FILES = ("docker-compose.yml", "docker-compose.yaml", "compose.yml", "compose.yaml")


def compose_up_detached(text: str) -> list[str] | None:
    """The compose files a ``docker compose up -d`` / ``docker-compose up -d`` names (``-f``; the default names when
    none), else None (not a detached ``up``)."""
    for w in segments(text):
        h = head(w)
        rest = w[2:] if h == "docker" and w[1:2] == ["compose"] else w[1:] if h == "docker-compose" else None
        if rest is None:
            continue
        files = [rest[i + 1] for i, x in enumerate(rest[:-1]) if x in ("-f", "--file")]
        verbs = [x for i, x in enumerate(rest) if not x.startswith("-") and not (i and rest[i - 1] in ("-f", "--file", "-p", "--project-name"))]
        if verbs[:1] == ["up"] and any(x in ("-d", "--detach") or (x.startswith("-") and not x.startswith("--") and "d" in x[1:]) for x in rest):
            return files or list(_COMPOSE_FILES)
    return None


def compose_builds_service(index: FileIndex, files: list[str], cwd: str) -> bool:
    """Does one of these compose files (in ``cwd``, else from the root) build a service from a Dockerfile of the
    repository that is not an auxiliary tool's (a tracking server, monitoring, a database or object store)?"""
    from .side_environments import auxiliary_service  # a fact module of its own: imported where it is needed

    for name in files:
        name = name.strip("'\"").removeprefix("./")
        e = next((x for d in ([cwd] if cwd else []) + [""] for x in index.select(("/".join(p for p in (d, name) if p),))), None)
        if e is None:
            continue
        here = e.vpath.rsplit("/", 1)[0] if "/" in e.vpath else ""
        for doc in index.yaml(e.path):
            services = doc.get("services") if isinstance(doc, dict) else None
            for svc in (services.values() if isinstance(services, dict) else []):
                build = svc.get("build") if isinstance(svc, dict) else None
                ctx, dockerfile = (build, "Dockerfile") if isinstance(build, str) else \
                    (str(build.get("context", ".")), str(build.get("dockerfile", "Dockerfile"))) if isinstance(build, dict) else (None, "")
                if ctx is None:
                    continue
                rel = "/".join(p for p in (here, ctx.strip("./").strip("/") if ctx not in (".", "./") else "", dockerfile.removeprefix("./")) if p)
                df = next(iter(index.select((rel,))), None)
                if df is not None and not df.test and not auxiliary_service(index, df):
                    return True
    return False


def runs_service(text: str, built: set[str]) -> bool:
    """``docker run -d --restart ... IMAGE`` (detached, and kept up: a restart policy or a published port) of an image
    the same job builds: on a machine that outlives the job this starts the service."""
    for w in segments(text):
        if head(w) not in ("docker", "podman") or not (w[1:2] == ["run"] or w[1:3] == ["container", "run"]):
            continue
        detached = any(x in ("-d", "--detach") or (x.startswith("-") and not x.startswith("--") and "d" in x[1:]) for x in w)
        kept = any(x.startswith(("--restart", "-p", "--publish")) for x in w)
        if detached and kept and any(x.strip("'\"") in built or _untagged(x.strip("'\"")) in built for x in w[2:] if not x.startswith("-")):
            return True
    return False


# a step named for checking what it starts (``Smoke test the image``, ``Test container``, ``Health check``)
_CHECK_STEP = lazy_re(r"\b(smoke|tests?|testing|health[\s_-]?checks?|sanity|verify|verification|validate|e2e|integration)\b", re.I)


_DEPLOY_STEP = lazy_re(r"\b(deploy\w*|release|rollout|promot\w*|serve|production|prod)\b", re.I)


def smoke_run(text: str, later: list[str], step_name: str = "") -> bool:
    """A ``docker run`` that checks an image rather than deploying it: its step is named for a test (``Smoke test the
    image``), or a later command of the job stops or removes the container it started (``docker stop api``, ``docker rm
    -f api``, ``docker compose down``): the service is not kept up once the job ends."""
    if _CHECK_STEP.search(step_name) and not _DEPLOY_STEP.search(step_name):
        return True
    names = {w[i + 1].strip("'\"") for w in segments(text) for i, x in enumerate(w[:-1]) if x == "--name"}
    names |= {x.split("=", 1)[1].strip("'\"") for w in segments(text) for x in w if x.startswith("--name=")}
    for cmd in later:
        for w in segments(cmd):
            a = [x for x in w[1:] if not x.startswith("-")]
            if head(w) in ("docker", "podman") and a[:1] in (["stop"], ["rm"], ["kill"]) and (set(x.strip("'\"") for x in a[1:]) & names or not names):
                return True
            if head(w) in ("docker", "podman") and a[:2] in (["container", "stop"], ["container", "rm"]) and set(a[2:]) & names:
                return True
    return False


def image_push_command(text: str, job: CiJob) -> str | None:
    """The registry a command pushes an image to (``docker push``, ``docker buildx build --push``, ``az acr build`` ...)."""
    hit = _pushed(text)
    if hit is None:
        return None
    fixed, ref = hit
    return fixed or registry_of(ref, job)


@lru_cache(maxsize=1 << 14)
def _pushed(text: str) -> tuple[str, str] | None:
    """(registry named by the tool itself, else '' ; the image reference whose registry the job decides) of a command
    that pushes an image, else None. Memoised by text: a CI-heavy repository's jobs run the same script lines again
    and again (Azure/azureml-examples: 62,821 job commands)."""
    for w in segments(text):
        h = head(w)
        a = [x for x in w[1:] if not x.startswith("-")]
        if h in ("docker", "podman", "buildah") and a[:1] == ["push"] and len(a) > 1:
            return "", a[1]
        if h in ("docker", "podman") and a[:2] in (["buildx", "build"], ["build"]) and "--push" in w:
            return "", next((w[i + 1] for i, x in enumerate(w[:-1]) if x in ("-t", "--tag")), "")
        if h in ("docker-compose",) and a[:1] == ["push"] or h == "docker" and a[:2] == ["compose", "push"]:
            return "", ""
        if h == "az" and a[:2] == ["acr", "build"]:
            return "acr", ""
        if h == "gcloud" and a[:2] == ["builds", "submit"] and ("--tag" in w or "-t" in w):
            return "", w[w.index("--tag" if "--tag" in w else "-t") + 1] if len(w) > w.index("--tag" if "--tag" in w else "-t") + 1 else ""
        if h == "heroku" and a[:1] == ["container:push"]:
            return "heroku", ""
        if h in ("executor", "kaniko") and any(x.startswith("--destination") for x in w):
            return "", next(x for x in w if x.startswith("--destination"))
        if h in ("crane", "skopeo") and a[:1] in (["push"], ["copy"]):
            return "", a[-1]
    return None


def image_push_uses(step: CiStep, job: CiJob) -> str | None:
    ref = step.uses.split("@")[0].lower()
    with_ = {k.lower(): v for k, v in step.with_}
    if ref in ("docker/build-push-action", "mr-smithers-excellent/docker-build-push", "redhat-actions/push-to-registry"):
        if ref == "docker/build-push-action" and str(with_.get("push", "")).lower() != "true":
            return None
        return registry_of(with_.get("tags", "") + with_.get("registry", "") + with_.get("image", ""), job)
    task = ref.rsplit(".", 1)[-1]
    if task == "docker" and with_.get("command", "").lower() in ("push", "buildandpush"):
        return registry_of(with_.get("containerregistry", "") + with_.get("repository", ""), job)
    if ref == "images":  # Cloud Build images:
        return registry_of(with_.get("image", ""), job)
    if re.search(r"(ecr|gcr|acr|docker)[/-].*push|push-image|/publish$", ref):
        return registry_of(ref, job)
    return None


# ------------------------------------------------------------------ metric diffs and training

def metrics_diff(text: str) -> str | None:
    """'dvc metrics diff' | 'dvc plots diff' | 'dvc exp diff' | 'cml comment' | None."""
    for w in segments(text):
        h = head(w)
        a = [x for x in w[1:] if not x.startswith("-")]
        if h == "dvc" and len(a) >= 2 and a[0] in ("metrics", "plots", "exp", "experiments") and a[1] == "diff":
            return f"dvc {a[0]} diff"
        if (h == "cml" and a[:1] in (["comment"], ["send-comment"])) or h == "cml-send-comment":
            return "cml comment"
    return None


_TRAIN_CLI = (
    lazy_re(r"\bdvc\s+(repro|exp\s+run)\b"), lazy_re(r"\baz\s+ml\s+job\s+create\b"),
    lazy_re(r"\baws\s+sagemaker\s+(start-pipeline-execution|create-training-job|create-hyper-parameter-tuning-job)\b"),
    lazy_re(r"\bgcloud\s+(beta\s+)?ai(-platform)?\s+(custom-jobs\s+create|jobs\s+submit\s+training|hp-tuning-jobs\s+create)\b"),
    lazy_re(r"\bmlflow\s+run\b"), lazy_re(r"\bkfp\s+run\s+(submit|create)\b"),
)
_NOT_RUN = frozenset({"echo", "printf", "cat", "ls", "mkdir", "cd", "export", "cp", "mv", "rm", "git", "curl", "wget", "tar",
                      "unzip", "chmod", "source", ".", "set", "test", "[", "if", "then", "fi", "else", "az", "aws",
                      "gcloud", "gsutil", "sleep", "true", "jq", "pip", "pip3", "conda", "apt-get", "npm"})


def _builds_image(w: list[str]) -> bool:
    """An image build or push (``docker build -f training.dockerfile``, ``/kaniko/executor --dockerfile
    .../training.dockerfile``): the words name training, the command builds the image training will run in."""
    h = head(w)
    a = [x for x in w[1:] if not x.startswith("-")]
    return h in ("executor", "kaniko") or h in ("docker", "podman", "buildah", "nerdctl") and ("build" in a[:2] or a[:1] in (["push"], ["bud"]))


_DATA_FILE = lazy_re(r"\.(csv|tsv|json|ya?ml|toml|txt|parquet|pkl|pickle|joblib|h5|pt|pth|onnx|npz?|zip|gz)$", re.I)


def training_command(text: str) -> bool:
    """Does a command start training: a training CLI (``dvc repro``, ``az ml job create``, ...) or a
    program/target whose name says train (``python src/train.py``, ``make train``)."""
    if is_install(text):
        return False
    if any(rx.search(text) for rx in _TRAIN_CLI):
        return True
    w = words(text)
    if not w or head(w) in _NOT_RUN or _builds_image(w):
        return False
    prog = [x for x in w if not x.startswith("-")][:4]  # runner, program/module/target: not its data arguments
    return trainingish(" ".join(x for x in prog if not _DATA_FILE.search(x)))


def selects_other_task(text: str) -> bool:
    """Do a command's argument values select a task other than training (``python run.py --pipeline batch_inference``,
    ``python main.py predict``)? A dispatcher's code reaches training, but the run asks for inference, scoring or
    monitoring. Option names (``--batch-size``) and data files are not read; a value naming training keeps it training."""
    w = words(text)
    rest = w[1:]
    if head(w).startswith("python"):
        while rest and rest[0].startswith("-") and rest[0] != "-m":
            rest = rest[1:]  # python -u
        rest = rest[2:] if rest[:1] == ["-m"] else rest[1:]  # the program itself
    vals = [x for x in rest if not x.startswith("-") and not _DATA_FILE.search(x)]
    return inferenceish(*vals) and not trainingish(*vals)


# ------------------------------------------------------------------ deploys through IaC and SDKs

SERVING_TF = lazy_re(
    r'resource\s+"(aws_lambda_function|aws_sagemaker_endpoint|aws_ecs_service|aws_apprunner_service|aws_elastic_beanstalk_environment'
    r"|google_cloud_run_(v2_)?service|google_cloudfunctions2?_function|google_vertex_ai_endpoint|google_app_engine_\w+_version"
    r"|azurerm_(linux|windows)_web_app|azurerm_container_app|azurerm_(linux_|windows_)?function_app|azurerm_app_service"
    r'|azurerm_container_group|kubernetes_deployment(_v1)?|helm_release|databricks_model_serving)"'
)
SERVING_PULUMI = lazy_re(r"lambda_?\.Function|sagemaker\.Endpoint|ecs\.Service|cloudrun\.Service|apps\.v1\.Deployment|helm\.v3\.Release|ContainerApp|WebApp")
DEPLOY_API = {"create_endpoint": "sagemaker", "update_endpoint": "sagemaker", "deploy_model": "cloud-endpoint",
              "create_namespaced_deployment": "k8s", "patch_namespaced_deployment": "k8s", "replace_namespaced_deployment": "k8s",
              "update_config": "databricks", "create_serving_endpoint": "databricks"}
PROMOTE_API = ("transition_model_version_stage", "set_registered_model_alias")
CLOUD_SDKS = {"sagemaker": "sagemaker", "boto3": "sagemaker", "azure": "cloud-endpoint", "azureml": "cloud-endpoint",
              "google": "cloud-endpoint", "kubernetes": "k8s", "mlflow": "cloud-endpoint", "databricks": "databricks"}


def workdir(c: Cmd) -> str:
    """The directory a Terraform/Pulumi command works on (``-chdir``, the step's directory, its script's)."""
    chdir = next((x.split("=", 1)[1] for x in words(c.text) if x.startswith("-chdir=")), "")
    base = c.path.rsplit("/", 1)[0] if c.path != c.via[0].rsplit(":", 1)[0] and "/" in c.path else ""
    return "/".join(p for p in (c.cwd or base, chdir) if p).strip("/")


def serving_infra(index: FileIndex, d: str, tool: str) -> bool:
    """Does the Terraform/Pulumi program in ``d`` provision a serving resource? For Terraform, the configuration
    ``apply`` runs: the root module's ``.tf`` files in ``d`` and the local modules its ``module`` blocks call (not every
    ``.tf`` below ``d``: a module whose call is commented out is not applied)."""
    if tool == "terraform":
        applied = terraform_applied(index, d)
        if applied is not None:  # a resource block that is parsed, not one inside a comment
            return any(SERVING_TF.search(f'resource "{b.labels[0]}"') for p in applied
                       for b in hcl.parse(index.text(p) or "") if b.type == "resource" and b.labels)
        globs, rx = ((f"{d}/**/*.tf",) if d else ("**/*.tf",)), SERVING_TF
    else:
        globs = tuple(f"{d}/**/*.{x}" if d else f"**/*.{x}" for x in ("py", "ts", "yaml"))
        rx = SERVING_PULUMI
    return any(rx.search(index.text(e.path) or "") for e in index.select(globs) if e.vpath.startswith(d))


def terraform_applied(index: FileIndex, d: str) -> list[str] | None:
    """The ``.tf`` files ``terraform apply`` in ``d`` reads: the root module (the ``.tf`` files directly in ``d``, as
    Terraform's docs define it) and, transitively, the modules its active ``module`` blocks call with a local
    ``source`` (``./network``, ``../modules/app``). A module block inside a comment is no call; a registry or git
    source is not in the repository. None when ``d`` holds no ``.tf`` file of its own (the directory a command works
    in is then not known well enough: every ``.tf`` below it is read) or when Terragrunt drives the directories."""
    d = "/".join(p for p in d.split("/") if p not in ("", "."))

    def build() -> list[str] | None:
        files = index.select(("**/*.tf", "**/terragrunt.hcl"))
        if any(e.vpath.endswith("terragrunt.hcl") and (not d or e.vpath.startswith(d + "/")) for e in files):
            return None
        by_dir: dict[str, list[str]] = {}
        for e in files:
            if not e.vpath.endswith(".tf"):
                continue
            by_dir.setdefault(e.vpath.rsplit("/", 1)[0] if "/" in e.vpath else "", []).append(e.path)
        if d not in by_dir:
            return None
        out: list[str] = []
        todo, seen = [d], {d}
        while todo:
            cur = todo.pop()
            for path in by_dir.get(cur, []):
                out.append(path)
                for b in hcl.parse(index.text(path) or ""):
                    src = b.get("source") if b.type == "module" else None
                    if not isinstance(src, str) or not src.startswith(("./", "../")):
                        continue
                    parts = [p for p in cur.split("/") if p]
                    for seg in src.split("/"):
                        if seg == "..":
                            parts = parts[:-1]
                        elif seg not in ("", "."):
                            parts.append(seg)
                    sub = "/".join(parts)
                    if sub not in seen:
                        seen.add(sub)
                        todo.append(sub)
        return sorted(out)

    return index.memo(f"terraform-applied:{d}", build)  # type: ignore[no-any-return]


def python_deploy(index: FileIndex, c: Cmd) -> str | None:
    """A Python program run by CI that deploys through an SDK (``Model.deploy``, ``create_endpoint``,
    ``online_deployments.begin_create_or_update`` ...) or, when named for deploying, promotes a registry version. Derived
    once per command text, file and working directory (what ``python_target`` reads of the command): every job that runs
    a script asks about each of its lines. A command none of whose words can hold ``py`` runs no Python program
    (``python_target``: a ``.py`` file, ``python``/``py``), told before anything is derived (Azure/azureml-examples: ~62,700
    commands asked)."""
    return found[0] if (found := python_deploy_call(index, c)) else None


def python_deploy_call(index: FileIndex, c: Cmd) -> tuple[str, str, int | None] | None:
    """What ``python_deploy`` finds, with where: (target, the Python file, the line of the call that deploys: the
    first deploying call in the file's order; None for a file that deploys by other means, an upload to a Space)."""
    if not word_may_hold(c.text, "py"):
        return None
    return index.derived(("python-deploy-call", c.text, c.path, c.cwd), lambda: _python_deploy(index, c))  # type: ignore[no-any-return]


def _python_deploy(index: FileIndex, c: Cmd) -> tuple[str, str, int | None] | None:
    e = python_target(index, c)
    tree = index.python(e.path) if e and e.suffix == ".py" else None
    if tree is None or e is None:
        return None
    if _uploads_space(tree):
        # a Space whose app (every folder the program uploads) loads no model is a dashboard, no model deploy
        from .spaces import python_upload_folders, uploaded_app_serves

        base = e.vpath.rsplit("/", 1)[0] if "/" in e.vpath else ""
        serves = [uploaded_app_serves(index, f, c.cwd, base) for f in python_upload_folders(tree)]
        return None if serves and all(s is False for s in serves) else ("hf-spaces", e.path, None)
    sdk = sdk_of(tree)
    if sdk is None:
        return None
    hits: list[tuple[int, str]] = []
    for node in walk(tree):
        if isinstance(node, ast.Call):
            name = dotted(node.func)
            tail = name.rsplit(".", 1)[-1]
            if tail in DEPLOY_API and (tail != "update_config" or "serving_endpoints" in name):
                hits.append((node.lineno, DEPLOY_API[tail]))
            elif tail == "deploy" and sdk in ("sagemaker", "cloud-endpoint", "databricks"):
                hits.append((node.lineno, sdk))
            elif tail == "begin_create_or_update" and re.search(r"online_(deployments|endpoints)", name):
                hits.append((node.lineno, "cloud-endpoint"))
    if hits:
        # the target of the first call ``walk`` meets (as before), cited at the first deploying call of the file
        return hits[0][1], e.path, min(ln for ln, _ in hits)
    if re.search(r"deploy|promot|release|serve", e.vpath, re.I) and set(call_names(tree)) & set(PROMOTE_API):
        # moving a stage or alias deploys only what a service loads by it (labelling conventions M2): a promotion that
        # no endpoint, app or service picks up (the only loader a command-line batch job) ships nothing
        if not served.serves_stage(index, promoted_stages(tree)):
            return None
        at = min((n.lineno for n in walk(tree) if isinstance(n, ast.Call) and dotted(n.func).rsplit(".", 1)[-1] in PROMOTE_API),
                 default=None)
        return "registry-promotion", e.path, at
    return None


# the stage/alias argument of a registry promotion: keyword, position
_PROMOTE_ARG = {"transition_model_version_stage": ("stage", 2), "set_registered_model_alias": ("alias", 1)}


def promoted_stages(tree: ast.Module) -> set[str]:
    """The stages/aliases a module's registry promotions move a version to, when every one is written out (a literal,
    or a name whose every assignment in the module is a literal); empty when one is computed at run time."""
    assigned = assigned_values(tree)
    out: set[str] = set()
    for n in walk(tree):
        if not isinstance(n, ast.Call) or not isinstance(n.func, ast.Attribute) or n.func.attr not in _PROMOTE_ARG:
            continue
        kw, pos = _PROMOTE_ARG[n.func.attr]
        arg = next((k.value for k in n.keywords if k.arg == kw), n.args[pos] if len(n.args) > pos else None)
        values = assigned.get(arg.id, []) if isinstance(arg, ast.Name) else [arg] if arg is not None else []
        if not values or not all(isinstance(v, ast.Constant) and isinstance(v.value, str) for v in values):
            return set()
        out.update(str(v.value) for v in values)  # type: ignore[attr-defined]
    return out


_SPACE_UPLOADS = frozenset({"upload_folder", "upload_file", "upload_large_folder", "create_commit"})


def _uploads_space(tree: ast.Module) -> bool:
    """A ``huggingface_hub`` program that uploads to a Space (``HfApi().upload_folder(..., repo_type="space")``) or restarts
    one (``restart_space``): the Space rebuilds and serves the app it was given (Hugging Face's "Manage your Space" docs)."""
    if not any(isinstance(n, (ast.Import, ast.ImportFrom)) and any(
            (a.name if isinstance(n, ast.Import) else n.module or "").split(".")[0] == "huggingface_hub" for a in n.names) for n in walk(tree)):
        return False
    for n in walk(tree):
        if isinstance(n, ast.Call):
            tail = dotted(n.func).rsplit(".", 1)[-1]
            if tail == "restart_space" or tail in _SPACE_UPLOADS and any(
                    k.arg == "repo_type" and isinstance(k.value, ast.Constant) and k.value.value == "space" for k in n.keywords):
                return True
    return False


# a package published to a package index (PyPI through pypa's action, twine or a build tool's publish command; npm; conda)
_PACKAGE_ACTION = lazy_re(r"^(pypa/gh-action-pypi-publish|js-devtools/npm-publish)\b", re.I)
_PACKAGE_CLI = lazy_re(r"\b(twine\s+upload|(poetry|uv|flit|hatch|pdm)\s+publish|npm\s+publish|anaconda\s+upload|maturin\s+(publish|upload))\b")


def publishes_package(job: CiJob) -> bool:
    """Does a CI job upload a package to a package index?"""
    return any(s.uses and _PACKAGE_ACTION.search(s.uses) or s.command and _PACKAGE_CLI.search(s.command) for s in job.steps)


def sdk_of(tree: ast.Module) -> str | None:
    for node in walk(tree):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""] if isinstance(node, ast.ImportFrom) else []
        for n in names:
            top = n.split(".")[0]
            if top in CLOUD_SDKS:
                return CLOUD_SDKS[top]
    return None



SERVING_IAC = lazy_re(
    r"AWS::SageMaker::Endpoint\b|AWS::Lambda::Function|AWS::Serverless::Function|AWS::ECS::Service|AWS::AppRunner::Service"
    r"|AWS::ElasticBeanstalk::Environment|Microsoft\.Web/sites|Microsoft\.App/containerApps|Microsoft\.ContainerInstance/containerGroups"
    r"|Microsoft\.MachineLearningServices/workspaces/(online|batch)Endpoints|CfnEndpoint\b|lambda_?\.(Docker)?Function\b"
    r"|DockerImageFunction|ApplicationLoadBalancedFargateService|ecs_patterns|apprunner\.(Cfn)?Service"
)
IAC_FILES = ("**/*.yml", "**/*.yaml", "**/*.json", "**/*.template", "**/*.bicep", "**/*.py", "**/*.ts")
_TEMPLATE_ARGS = ("--template-file", "--template-body", "--template", "-t")
_TEMPLATE_KEYS = ("templatepath", "template", "csmfile", "templatelocation", "templatefile")


def iac_template(text: str = "", with_: tuple[tuple[str, str], ...] = ()) -> str:
    """The template a CloudFormation/ARM/Bicep deploy names (a path, possibly ``Artifact::file``)."""
    for k, v in with_:
        if k.lower() in _TEMPLATE_KEYS and v:
            return v.split("::")[-1]
    w = words(text)
    for i, x in enumerate(w[:-1]):
        if x in _TEMPLATE_ARGS:
            return w[i + 1].replace("file://", "")
    return "template.yaml" if head(w) == "sam" else ""


_WORKFLOW_STACK_WORDS = frozenset({"train", "training", "workflow", "workflows", "pipeline", "pipelines", "statemachine", "orchestration", "retraining"})
_MODEL_STACK_WORDS = frozenset({"model", "models", "endpoint", "endpoints", "serving", "serve", "inference", "predict", "prediction",
                                "api", "app", "service"})


def workflow_stack(name: str, with_: tuple[tuple[str, str], ...]) -> bool:
    """Does a pipeline's stack deploy (a CodePipeline CloudFormation action) apply the training workflow's stack (``StackName:
    ...-training-workflow``, ``TemplatePath: ...::training-workflow.yaml``, action ``DeployTrainingWorkflow``) rather than the
    model's or its endpoint's? Its names say training, workflow or pipeline and none says model, endpoint or serving."""
    said = set(re.split(r"[^a-z0-9]+", re.sub(r"([a-z])([A-Z])", r"\1 \2", " ".join([name, *(v for k, v in with_ if k.lower() in ("stackname", *_TEMPLATE_KEYS))])).lower()))
    return bool(said & _WORKFLOW_STACK_WORDS) and not said & _MODEL_STACK_WORDS


def iac_serving(index: FileIndex, template: str) -> bool:
    """Does the stack a CloudFormation/ARM/CDK deploy applies create a serving resource (endpoint, function,
    service, web app)? The named template when it is in the repository, else any template of the project."""
    name = template.rsplit("/", 1)[-1]
    named = [e for e in index.select((f"**/{name}",)) if e.vpath.endswith(template.lstrip("./"))] if name and "$" not in name else []
    files = named or [e for e in index.select(IAC_FILES) if index.contains(e.path, (b"AWS::", b"Microsoft.", b"aws_cdk", b"aws-cdk"))]
    return any(SERVING_IAC.search(index.text(e.path) or "") for e in files)
