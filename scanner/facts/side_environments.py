"""Environment files that are not the project's training or serving environment: a model's generated environment and the
image of an auxiliary service.

- **A model's environment**: MLflow saves a model as a directory with an ``MLmodel`` file at its root and writes the
  environment it was logged in beside it (``conda.yaml``, ``python_env.yaml``, ``requirements.txt``). Committed with the
  model, those files say what the logging run had installed; they set up nothing the project runs.
- **An auxiliary service's image**: a Dockerfile that runs a tracking server or UI (``mlflow server``/``mlflow ui``), a
  monitoring dashboard (Evidently, Grafana, Prometheus) or a database or object store beside the project, told by the
  command it starts (its ``CMD``/``ENTRYPOINT``, through the shell script it runs), the image it starts from, or its
  name (``Dockerfile.mlflow``, ``evidently_service/Dockerfile``).
- **A copied upstream project**: a directory below the project's root that carries its own licence with its own README
  or packaging (``LICENSE`` beside ``README.md``/``setup.py``/``pyproject.toml``: a third-party baseline copied into
  ``scripts/baselines/<upstream>/``, a vendored library) declares that project's dependencies; its pins are not the
  scanned project's environment.
- **A CI runner's image**: a Dockerfile kept in a CI system's own directory (``.gitlab/docker/Dockerfile``, a GitHub
  Docker container action under ``.github/actions/``, ``.circleci/images/``) or named for CI (``ci/Dockerfile``,
  ``Dockerfile.ci``) builds the image CI jobs run in (their ``image:``/``container:``): the environment tests and
  deployments run in, not the one training or serving runs in.
"""

from __future__ import annotations

from ..ci import argv, started_commands
from ..index import FileEntry, FileIndex
from ..lazyre import lazy_re
from .commands import invoked
from .tracking import DOCKERFILES
from .wiring import exec_form

MLMODEL = "MLmodel"

# a service named by a Dockerfile's suffix or its folder (``mlflow``, ``evidently_service``, ``tracking-server``)
_SERVICES = {
    "mlflow": "tracking", "tracking": "tracking", "wandb": "tracking", "aim": "tracking",
    "evidently": "monitoring", "grafana": "monitoring", "prometheus": "monitoring", "monitoring": "monitoring",
    "alertmanager": "monitoring", "dashboard": "monitoring",
    "postgres": "database", "postgresql": "database", "mysql": "database", "mariadb": "database", "mongo": "database",
    "mongodb": "database", "redis": "database", "db": "database", "database": "database",
    "minio": "storage",
}
_SUFFIXES = ("_service", "-service", "_server", "-server", "_ui", "-ui")
# a command that starts such a service
_SERVICE_CMD = lazy_re(
    r"(?i)^(?:\S*/)?(?:mlflow\s+(?:server|ui)\b|evidently\s+ui\b|aim\s+(?:up|server)\b|grafana-server\b|grafana\s+server\b|"
    r"prometheus\b|alertmanager\b|postgres\b|mysqld\b|redis-server\b|mongod\b|minio\s+server\b)")
_SERVICE_CMD_KIND = (("mlflow", "tracking"), ("aim", "tracking"), ("evidently", "monitoring"), ("grafana", "monitoring"),
                     ("prometheus", "monitoring"), ("alertmanager", "monitoring"), ("minio", "storage"))
# an image that is such a service (``ghcr.io/mlflow/mlflow:v2``, ``grafana/grafana``, ``postgres:16``)
_SERVICE_IMAGES = {"mlflow": "tracking", "grafana": "monitoring", "prometheus": "monitoring", "postgres": "database",
                   "postgresql": "database", "mysql": "database", "mariadb": "database", "mongo": "database", "redis": "database",
                   "minio": "storage"}


def model_environment(index: FileIndex, e: FileEntry) -> bool:
    """The environment file sits in a saved model's directory (an ``MLmodel`` file beside it)."""
    folder = e.vpath.rsplit("/", 1)[0] if "/" in e.vpath else ""
    return folder in _model_dirs(index)


def _model_dirs(index: FileIndex) -> frozenset[str]:
    def build() -> frozenset[str]:
        return frozenset(x.vpath.rsplit("/", 1)[0] if "/" in x.vpath else "" for x in index.select((f"**/{MLMODEL}",)))

    return index.derived(("side_environments.model_dirs",), build)  # type: ignore[no-any-return]


def upstream_copy(index: FileIndex, e: FileEntry) -> str:
    """The directory of a copied upstream project the file lies in (the outermost one), '' when it lies in none."""
    parts = e.vpath.split("/")[:-1]
    roots = _upstream_dirs(index)
    return next(("/".join(parts[:i]) for i in range(1, len(parts) + 1) if "/".join(parts[:i]) in roots), "") if roots else ""


_LICENCES = ("**/LICENSE", "**/LICENSE.*", "**/LICENCE", "**/LICENCE.*", "**/COPYING", "**/COPYING.*", "**/license", "**/License.*")
_PROJECT_FILES = ("**/README", "**/README.*", "**/readme.*", "**/setup.py", "**/setup.cfg", "**/pyproject.toml")


def _upstream_dirs(index: FileIndex) -> frozenset[str]:
    def build() -> frozenset[str]:
        licensed = {x.vpath.rsplit("/", 1)[0] for x in index.select(_LICENCES, include_root=False) if "/" in x.vpath}
        if not licensed:
            return frozenset()
        described = {x.vpath.rsplit("/", 1)[0] for x in index.select(_PROJECT_FILES, include_root=False) if "/" in x.vpath}
        return frozenset(licensed & described)

    return index.derived(("side_environments.upstream_dirs",), build)  # type: ignore[no-any-return]


def folder_service(index: FileIndex, e: FileEntry) -> str:
    """The auxiliary service whose Dockerfile shares the file's folder (the requirements an Evidently service's image
    installs), '' when none does."""
    folder = e.vpath.rsplit("/", 1)[0] if "/" in e.vpath else ""
    return _service_dirs(index).get(folder, "") if folder else ""


def _service_dirs(index: FileIndex) -> dict[str, str]:
    def build() -> dict[str, str]:
        out: dict[str, str] = {}
        for d in index.select(DOCKERFILES):
            if "/" in d.vpath and (kind := auxiliary_service(index, d)):
                out.setdefault(d.vpath.rsplit("/", 1)[0], kind)
        return out

    return index.derived(("side_environments.service_dirs",), build)  # type: ignore[no-any-return]


def auxiliary_service(index: FileIndex, e: FileEntry) -> str:
    """What auxiliary service a Dockerfile's image runs (``tracking``, ``monitoring``, ``database``, ``storage``), '' when
    it is none of these."""
    for ins in index.dockerfile(e.path):
        if ins.instruction in ("CMD", "ENTRYPOINT"):
            kind = _command_service(index, exec_form(ins.value), e.path, ins.line)
            if kind:
                return kind
    froms = [ins.value.split() for ins in index.dockerfile(e.path) if ins.instruction == "FROM"]
    if froms and froms[-1]:
        image = froms[-1][0].split("@")[0].rsplit(":", 1)[0].rsplit("/", 1)[-1].lower()
        if image in _SERVICE_IMAGES:
            return _SERVICE_IMAGES[image]
    name = e.name.lower()
    named = name[len("dockerfile") + 1:] if name.startswith(("dockerfile.", "dockerfile-")) else \
        name.rsplit(".", 1)[0] if name.endswith(".dockerfile") else ""
    folder = e.vpath.rsplit("/", 2)[-2].lower() if e.vpath.count("/") else ""
    for word in (named, folder):
        for suffix in _SUFFIXES:
            word = word.removesuffix(suffix)
        if word in _SERVICES:
            return _SERVICES[word]
    return ""


def _command_service(index: FileIndex, cmd: str, path: str, line: int) -> str:
    """The service a container command starts, directly or through the shell script it runs (one level)."""
    texts = [cmd]
    words = argv(cmd)
    if words and words[0].endswith(".sh"):
        # a script copied into the image (``COPY entrypoint.sh /entrypoint.sh`` then ``CMD ["/entrypoint.sh"]``) is
        # read from beside the Dockerfile
        texts += [i.text for i in invoked(index, "sh " + words[0].rsplit("/", 1)[-1], path, line)]
    # each command of a shell-form start line (``cron && tail -f log & mlflow server --host 0.0.0.0``)
    for text in [part for t in texts for part in (started_commands(t) or [t])]:
        m = _SERVICE_CMD.match(text.strip())
        if m:
            hit = m.group(0).lower().rsplit("/", 1)[-1]
            return next((kind for word, kind in _SERVICE_CMD_KIND if hit.startswith(word)), "database")
    return ""


# ---------------------------------------------------------------- an orchestrator's own server image

# a command that starts an orchestrator's web UI, scheduler or daemon (not a worker or a task runner)
_ORCHESTRATOR_CMD = lazy_re(
    r"(?i)^(?:\S*/)?(?:airflow\s+(?:webserver|api-server|scheduler|triggerer|dag-processor)\b|dagster-webserver\b|dagit\b|"
    r"dagster-daemon\b|prefect\s+(?:server|orion)\s+start\b)")
# files an image may copy without copying the project's code: dependency lists and the service's own configuration
_CONFIG_EXT = (".txt", ".yaml", ".yml", ".toml", ".cfg", ".ini", ".json", ".conf", ".lock", ".env", ".in")


def orchestrator_image(index: FileIndex, e: FileEntry) -> bool:
    """A Dockerfile whose image runs an orchestrator's own web UI, scheduler or daemon (``dagster-webserver``, ``airflow
    webserver``, ``prefect server start``) and copies none of the project's code (only dependency lists and the
    service's configuration): told by its own ``CMD``/``ENTRYPOINT``, else by every compose service that builds it. The
    project's training or serving code runs in another image."""
    ins = index.dockerfile(e.path)
    for i in ins:
        if i.instruction in ("COPY", "ADD"):
            srcs = [w for w in argv(exec_form(i.value)) if not w.startswith("--")][:-1]
            if any(not s.lower().endswith(_CONFIG_EXT) for s in srcs):
                return False  # it copies code (``COPY . /app``, ``COPY dags/ ...``)
    cmds = [exec_form(i.value) for i in ins if i.instruction in ("CMD", "ENTRYPOINT")]
    if cmds:
        return any(_ORCHESTRATOR_CMD.match(c.strip()) for c in cmds)
    runs = _compose_commands(index).get(e.vpath)
    return bool(runs) and all(_ORCHESTRATOR_CMD.match(c.strip()) for c in runs)


def _compose_commands(index: FileIndex) -> dict[str, list[str]]:
    """Per Dockerfile a compose service builds, the entrypoint + command each such service runs ('' when it sets none)."""
    import posixpath

    from .tracking import COMPOSE_GLOBS

    def build() -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for c in index.select(COMPOSE_GLOBS):
            if c.test:
                continue
            base = c.vpath.rsplit("/", 1)[0] if "/" in c.vpath else ""
            for doc in index.yaml(c.path):
                services = doc.get("services") if isinstance(doc, dict) else None
                for svc in services.values() if isinstance(services, dict) else ():
                    b = svc.get("build") if isinstance(svc, dict) else None
                    ctx, df = (b, "Dockerfile") if isinstance(b, str) else \
                        (str(b.get("context", ".")), str(b.get("dockerfile", "Dockerfile"))) if isinstance(b, dict) else (None, "")
                    if ctx is None:
                        continue
                    at = posixpath.normpath(posixpath.join(base, ctx, df))
                    words = [" ".join(map(str, v)) if isinstance(v, list) else str(v or "") for v in (svc.get("entrypoint"), svc.get("command"))]
                    out.setdefault(at, []).append(" ".join(w for w in words if w).strip())
        return out

    return index.derived(("side_environments.compose_commands",), build)  # type: ignore[no-any-return]


# the directories CI systems read their own configuration from
_CI_DIRS = frozenset({".github", ".gitlab", ".circleci", ".buildkite", ".azure-pipelines", ".azuredevops", ".woodpecker", ".drone"})
_CI_NAMES = frozenset({"ci", "cicd", "ci-cd", "ci_cd", "ci-runner", "ci_runner", "gitlab-ci", "gitlab_ci"})


def ci_image(e: FileEntry) -> bool:
    """A Dockerfile building a CI runner's image: under a CI system's directory, in a folder named for CI (``ci/``,
    ``docker/ci/``) or named for it (``Dockerfile.ci``, ``ci.Dockerfile``)."""
    dirs = [d.lower() for d in e.vpath.split("/")[:-1]]
    if any(d in _CI_DIRS or d in _CI_NAMES for d in dirs):
        return True
    name = e.name.lower().removesuffix(".tmpl").removesuffix(".j2").removesuffix(".jinja")
    named = name[len("dockerfile") + 1:] if name.startswith(("dockerfile.", "dockerfile-", "dockerfile_")) else \
        name.rsplit(".", 1)[0] if name.endswith(".dockerfile") else ""
    return named in _CI_NAMES
