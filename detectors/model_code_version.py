"""Explicit code-version links on the deployable model: images tagged with the commit/build id in CI and
the scripts it runs, git commit/build tags on tracker runs and registered models (also a commit CI hands to the
script that logs the model, which names or tags its run with it), SageMaker commit metadata, Databricks
``git_source_info``, the commit a model zoo file records for each released model; feeds E3. ``:latest``, comments and timestamps never count."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from typing import Any

from mlscan.ci import CiStep, ci_model, split_commands
from mlscan.detector import Detector, Need, needs_of
from mlscan.facts import ops, tracking
from mlscan.facts.ci_vocab import orchestrator_code_deploy
from mlscan.facts.commands import resolve
from mlscan.facts.databricks_bundles import BUNDLE_NAMES, variable_parameters
from mlscan.facts.model_zoo import model_zoos
from mlscan.facts.orchestration import dig, inferenceish, trainingish, words
from mlscan.facts.place import place
from mlscan.facts.pyast import walk
from mlscan.facts.served import from_registry_only, holds_model, hosted_model_only
from mlscan.index import FileIndex, register_fact
from mlscan.lazyre import lazy_re
from mlscan.model import Finding, Strength
from mlscan.valueclass import replace

_TAG_KEYS = lazy_re(r"^(tags?|images?|image[-_]?tag|imageTag|version|labels?)$", re.I)
_TAG_CALLS = frozenset({"set_tag", "set_tags", "tag", "log_param", "log_params", "set_model_version_tag", "set_registered_model_tag"})
_TAG_KWARGS = ("tags", "metadata", "customer_metadata_properties", "labels", "properties")
_CODE_WORDS = frozenset({"git", "commit", "sha", "revision", "githash", "gitsha", "hexsha", "gitcommit"})
# (``stepfunctions``: the AWS Step Functions Data Science SDK, whose job steps pass ``tags=`` on to the SageMaker jobs)
_TRACKING_MODULES = ("mlflow", "wandb", "azureml", "azure.ai.ml", "sagemaker", "neptune", "comet_ml", "clearml", "google.cloud.aiplatform",
                     "boto3", "dvclive", "aim", "stepfunctions")
_SCRIPTS = ("**/*.sh", "**/Makefile", "**/makefile", "**/*.mk")
# Python files that name a code-version tag (tag calls, commit/sha/git keys, build ids, SageMaker MetadataProperties) ...
# (commit variables of the environment are written in capitals: ``COMMIT_SHA``, ``GIT_SHA``)
# (``tags``: a job's ``tags={"GitCommitHash": ...}``, whose key is one word the needles above do not split)
NEEDLES = (b"tag", b"tags", b"commit", b"sha", b"git", b"Build", b"build_id", b"MetadataProperties", b"SHA", b"COMMIT")
# ... and import a tracker or registry SDK (_python_link returns nothing otherwise): every word of the module path
# (``google.cloud.aiplatform``: google, cloud, aiplatform) is in its import statement
TRACKING_NEEDLES = tuple(m.encode() for m in _TRACKING_MODULES)


def code_key(key: str) -> bool:
    w = words(key)
    if w & {"data", "dataset", "datasets", "input", "file", "table"}:
        return False  # a data digest is not a code version
    return bool(w & _CODE_WORDS) or "build" in w and bool(w & {"id", "uri", "url", "number"}) or {"source", "version"} <= w


class ModelCodeVersion(Detector):
    """The deployable model or image carries its code version (commit sha, release tag, CI build id); feeds E3."""

    id = "model.code_version"
    questions = ("E3",)
    globs = ("**/*.py", "**/*.ipynb", "**/*.json", *ops.YAML_GLOBS, *_SCRIPTS, *tracking.DOCKERFILES)
    signals = ("model.code_version",)
    # CI and automated commands, scripts, job YAML, or Python naming a code version (or SageMaker) first
    needs_any = (*needs_of(ops.AUTOMATED_NEEDS), Need((*ops.YAML_GLOBS, *_SCRIPTS)),
                 Need(("**/*.py", "**/*.ipynb"), words=(*NEEDLES, b"sagemaker")))

    def detect(self, index: FileIndex) -> Iterator[Finding]:
        seen: set[tuple[str, str]] = set()

        # an image carries the model's code version only when the model is in the image: when serving fetches every
        # model it loads from a registry or a run at start-up, the image tag versions the server, not the model
        image_model: list[bool | None] = []  # worked out on the first image tag (most repositories have none)

        def emit(path: str, line: int | None, how: str, source: str, strength: Strength, snippet: str | None = None,
                 task: str | None = None, orchestrator: bool = False, defined: tuple[int, int] | None = None) -> Iterator[Finding]:
            if (path, how) not in seen:
                seen.add((path, how))
                attrs: dict[str, object] = {"how": how, "source": source, **({"task": task} if task else {})}
                if "image-tag" in how and orchestrator:
                    # the image of an orchestrator's code location (its job deploys it to Dagster+ or Astronomer): the
                    # pipeline code that trains the model when it runs, not the model, unless a Dockerfile puts one in
                    attrs["orchestrator_code"] = True
                    from mlscan.facts.image_contents import any_image_ships_model  # imported where an image is deployed

                    attrs["carries_model"] = None if any_image_ships_model(index, tracking.DOCKERFILES) else False
                elif "image-tag" in how:
                    if not image_model:
                        from mlscan.facts.image_contents import no_image_ships_model

                        # serving fetches its model from a registry, the repository holds no model at all, or no
                        # Dockerfile of the repository puts a model in its image (serving reads it from a bucket or
                        # mounted path at start-up)
                        # (or the service calls a model hosted elsewhere through its API and the repository holds none)
                        image_model.append(False if from_registry_only(index) or not holds_model(index)
                                           or no_image_ships_model(index, tracking.DOCKERFILES) or hosted_model_only(index) else None)
                    attrs["carries_model"] = image_model[0]
                if defined is not None and line is not None:
                    yield self._at_assignment(index, path, line, defined, strength, attrs)
                    return
                yield self.found("model.code_version", index, path, line, strength=strength, snippet=snippet, attrs=attrs)

        model = ci_model(index)
        ci_paths = {j.path for j in model.jobs}
        # jobs that ship an orchestrator's code location (Dagster+, Astronomer), and the jobs of the same file they need (a
        # build job whose image a deploy job hands to the orchestrator)
        ships_code = {(j.path, j.name) for j in model.active_jobs() if any(s.active and orchestrator_code_deploy(s) for s in j.steps)}
        ships_code |= {(j.path, n) for j in model.active_jobs() if (j.path, j.name) in ships_code for n in j.needs}
        for job in model.active_jobs():
            tag_trigger = bool(job.triggers & {"release", "tag"})
            orchestrator = (job.path, job.name) in ships_code
            docs = [] if job.path.endswith(".tf") else index.yaml(job.path)  # a Terraform CodePipeline is HCL, not YAML
            env = tracking.variables([index.text(job.path) or ""], docs)
            for step in job.steps:
                if not step.active:
                    continue
                for how in _step_links(step, env, tag_trigger):
                    yield from emit(step.path, step.line, how, "ci", Strength.STRONG, orchestrator=orchestrator)
        automated = {c.path for c in ops.automated_commands(index) if c.path not in ci_paths}
        for e in index.select(_SCRIPTS):
            if e.path in ci_paths or e.test:
                continue
            env = tracking.variables([index.text(e.path) or ""])
            for i, text in ops.logical_lines(index.lines(e.path)):
                for cmd in split_commands(text.lstrip("@-\t ")):
                    how = _command_link(cmd, env, tag_trigger=False)
                    if how:
                        defined = _tag_assignment(index.lines(e.path), cmd, i) if how.startswith("image-tag") else None
                        yield from emit(e.path, i, how, "script", Strength.STRONG if e.path in automated else Strength.MEDIUM,
                                        defined=defined)
        for e in index.select(("**/*.py", "**/*.ipynb")):
            if e.test or not index.mentions(e.path, NEEDLES):
                continue
            tracked, saving = index.mentions(e.path, TRACKING_NEEDLES), index.mentions(e.path, SAVE_NEEDLES)
            if not (tracked or saving):
                continue
            hit = (index.fact(e.path, PYTHON_LINK) if tracked else None) or (index.fact(e.path, CHECKPOINT_LINK) if saving else None)
            if hit:
                where = place(index, e)
                strength = where.strength()
                line, snip = ops.locate(index, e, hit[0])
                yield from emit(e.path, line, hit[1], "code", strength, snip)
        for e in index.select(("**/*.py", "**/*.ipynb")):
            # the commit a script writes into a model's or deployment's record (a metadata JSON, release notes, tags)
            if e.test or not (index.mentions(e.path, _RUNTIME_COMMIT_WORDS) or index.contains(e.path, (b"rev-parse",))):
                continue
            record = index.fact(e.path, METADATA_RECORD)
            if record:
                line, snip = ops.locate(index, e, record[0])
                yield from emit(e.path, line, f"metadata-record:{record[1]}", "code", place(index, e).strength(), snip)
        for e in index.select(("**/*.py",)):
            if e.test or not index.mentions(e.path, (b"sagemaker",)) or not index.mentions(e.path, (b"sha",)) \
                    and not index.mentions(e.path, (b"commit",)) and not index.contains(e.path, _BUILD_ID_TEXT):
                continue
            tree = index.python(e.path)
            hit = _named_by_commit(index, e, tree) if tree is not None else None
            if hit:
                where = place(index, e)
                # (a CDK construct, ``CfnModel``, is the model the app's deployment creates, as the CDK detectors read them)
                strength = where.strength(hit[2])
                line, snip = ops.locate(index, e, hit[0])
                yield from emit(e.path, line, f"model-name:{hit[1]}", "code", strength, snip)
        yield from self._lineage_facets(index)
        versioned: dict[str, str | None] = {}  # command text -> its compact form when it names a code version
        for c in ops.automated_commands(index):  # one command text is run by many jobs: its text is searched once
            if c.text not in versioned:
                versioned[c.text] = _code_text(c.text)
            compact = versioned[c.text]
            how = _commit_argument(index, c, compact) if compact is not None else None
            if how:
                yield from emit(c.path, c.line, how, "ci", Strength.STRONG)
        for zoo in model_zoos(index):  # released models listed with the commit that trained each, read by the model manager
            if zoo.commit_line is not None:
                extra = (self.evidence(index, zoo.loader[0], zoo.loader[1]),)
                yield self.found("model.code_version", index, zoo.path, zoo.commit_line, strength=Strength.MEDIUM, extra=extra,
                                 attrs={"how": "model-zoo:commit", "source": "data", "carries_model": True,
                                        "models": zoo.entries, "with_commit": zoo.with_commit})
        for e in index.select(ops.YAML_GLOBS):
            if e.path in ci_paths or e.test or not index.contains(e.path, (b"git_source_info", b"bundle.git.commit")):
                continue
            hits: list[tuple[str, int]] = []
            for doc in index.yaml(e.path):
                roles = _task_roles(doc)
                for d in ops.walk_dicts(doc):
                    for k, v in d.items():
                        if isinstance(v, str) and "${bundle.git.commit}" in v:
                            hits.append((roles.get(id(d), ""), d.line_of(k)))
            if hits:
                # the commit a training task records (the run that logs the model) before a batch or monitoring job's
                rank = {"training": 0, "": 1, "other": 2, "inference": 3}
                line, role = min(((ln, r) for r, ln in hits), key=lambda h: (rank[h[1]], h[0]))
                yield from emit(e.path, line, "git-source-info", "job-config", Strength.STRONG, task=role or None)
        # a commit CI hands to a bundle variable (``bundle deploy --var="git_sha=${{ github.sha }}"``), that a job task passes
        # to its code (``--git_sha ${var.git_sha}``), which puts it in the tags of its run or registered model
        code_vars = _bundle_code_vars(index) if index.select(tuple(f"**/{n}" for n in BUNDLE_NAMES)) else {}
        for path, line, var, key, code, task in variable_parameters(index) if code_vars else ():
            if var in code_vars and code is not None and not code.test and (tagged := _tags_with(index, code, key)) is not None:
                src = index.lines(path)  # the parameter's own line (a list item), else the parameters' key
                at = next((i + 1 for i in range(max(line - 1, 0), min(len(src), line + 60)) if f"${{var.{var}}}" in src[i]), line)
                # the parameter leads, with where the task's code puts it on the run or model in its chain (what E3 asks: the
                # commit on the model, not only handed to a job)
                code_lines, (read, callee) = index.lines(code.path), tagged
                said = code_lines[read - 1].strip()[:120] if 0 < read <= len(code_lines) else ""
                link = f"tagged by {callee}(): {said} at {code.path}:{read}"
                for f in emit(path, at, f"bundle-var:{code_vars[var]}", "job-config", Strength.STRONG,
                              task="training" if trainingish(task, code.name) else None):
                    yield replace(f, evidence=(replace(f.evidence[0], chain=(link,)), *f.evidence[1:]))

    def _lineage_facets(self, index: FileIndex) -> Iterator[Finding]:
        """The commit an OpenLineage job records in its sourceCodeLocation facet: the model's code version when that job
        builds the model (a facet on an ingestion or reporting job versions its output, not a model)."""
        for e in index.select(("**/*.py",)):
            if e.test or not index.mentions(e.path, (b"openlineage",)) or not index.contains(e.path, (b"SourceCodeLocation", b"sourceCodeLocation")):
                continue
            tree = index.python(e.path)
            from mlscan.facts.lineage_facets import source_code_versions  # imported where a file emits OpenLineage events

            facets = source_code_versions(tree, ops.aliases(tree)) if tree is not None else []
            for at, how, model in sorted(facets, key=lambda f: not f[2])[:1]:  # the facet of a job building a model first
                line, snip = ops.locate(index, e, at)
                yield self.found("model.code_version", index, e.path, line, snippet=snip, strength=place(index, e).strength(),
                                 attrs={"how": f"lineage-facet:{how}", "source": "code", **({} if model else {"carries_model": False})})

    def _at_assignment(self, index: FileIndex, path: str, line: int, defined: tuple[int, int], strength: Strength,
                       attrs: dict[str, object]) -> Finding:
        """The image tag is a variable set from the commit above the command (``_tag_assignment``): the assignment
        decides and leads, the command that tags the image with it is its chain and second item."""
        lo, hi = defined
        lines = index.lines(path)
        cmd = (lines[line - 1] if line <= len(lines) else "").strip()
        f = self.found("model.code_version", index, path, lo, end_line=hi, strength=strength, attrs=attrs,
                       extra=(self.evidence(index, path, line, strength=strength),))
        first = replace(f.evidence[0], chain=(f"tags the image: {cmd[:80]} at {path}:{line}",))
        return replace(f, evidence=(first, *f.evidence[1:]))


def _task_roles(doc: object) -> dict[int, str]:
    """What each Databricks bundle job task does, by the ``id`` of every mapping inside it: "training" for a task whose
    key, job name or code path says it trains, "inference" for batch scoring or monitoring (a ``git_source_info`` such a
    job records versions its predictions, not the model), "other" for the rest (a feature table job)."""
    roles: dict[int, str] = {}
    targets = dig(doc, "targets")
    for jobs in (dig(doc, "resources", "jobs"), *(dig(t, "resources", "jobs") for t in (targets.values() if isinstance(targets, dict) else ()))):
        if not isinstance(jobs, dict):
            continue
        for name, job in jobs.items():
            for task in (dig(job, "tasks") or []) if isinstance(job, dict) else []:
                if not isinstance(task, dict):
                    continue
                code = [str(v) for d in ops.walk_dicts(task) for k, v in d.items() if k in _TASK_CODE_KEYS and isinstance(v, str)]
                texts = (str(name), str(task.get("task_key", "")), *code)
                role = "inference" if inferenceish(*texts) and not trainingish(*texts[1:]) else "training" if trainingish(*texts) else "other"
                for d in ops.walk_dicts(task):
                    roles.setdefault(id(d), role)
    return roles


_TASK_CODE_KEYS = ("notebook_path", "python_file", "entry_point", "package_name", "main_class_name")


def _step_links(step: CiStep, env: dict[str, list[str]], tag_trigger: bool) -> Iterator[str]:
    local = dict(env)
    for k, vals in tracking.variables([step.command]).items():
        local[k] = vals + local.get(k, [])
    for cmd in split_commands(step.command):
        how = _command_link(cmd, local, tag_trigger)
        if how:
            yield how
    if step.uses.startswith("docker/metadata-action"):
        tags = dict(step.with_).get("tags", "")
        if "type=sha" in tags:
            yield "image-tag:git-sha"
        elif tag_trigger and (not tags or re.search(r"type=(semver|ref,\s*event=tag)", tags)):
            yield "image-tag:release-tag"
        return
    for key, value in step.with_:
        if _TAG_KEYS.match(key):
            for item in re.split(r"[\n,]", value):
                for exp in tracking.expand(item.strip(), local):
                    how = tracking.code_expr(tracking.tag_of(exp) if key.lower().startswith(("tag", "image")) else exp, tag_trigger)
                    if how:
                        yield f"image-tag:{how}" if key.lower().startswith(("tag", "image")) else f"version:{how}"
        elif re.search(r"[\"']tags[\"']\s*:", value):
            how = tracking.code_expr(value, tag_trigger)
            if how:
                yield f"run-tag:{how}"


_OPTION = lazy_re(r"--([A-Za-z][\w-]*)[=\s]+(\S+)")
_RUN_NAMING = frozenset({"start_run", "set_tag", "set_tags", "log_param", "log_params", "init"})


_BUNDLE_COMMAND = lazy_re(r"\bdatabricks\s+bundle\s+(?:deploy|run|validate|summary)\b")
_BUNDLE_VAR_OPTION = lazy_re(r"""--var[=\s]+["']?([\w-]+)=([^"'\s]+)""")
_BUNDLE_VAR_ENV = lazy_re(r"""\bBUNDLE_VAR_([\w-]+)["']?\s*[:=]\s*(.+)$""")


def _bundle_code_vars(index: FileIndex) -> dict[str, str]:
    """Bundle variables that an automated ``databricks bundle deploy|run`` sets to a code version: ``--var="git_sha=${{
    github.sha }}"``, or a CI ``BUNDLE_VAR_git_sha: ${{ github.sha }}`` environment entry -> how (``git-sha``)."""
    out: dict[str, str] = {}
    for text in ops.automated_texts(index):
        if _BUNDLE_COMMAND.search(text):
            for m in _BUNDLE_VAR_OPTION.finditer(tracking.gh_compact(text)):
                how = tracking.code_expr(m.group(2))
                if how:
                    out.setdefault(m.group(1), how)
    for job in ci_model(index).active_jobs():
        if index.contains(job.path, (b"BUNDLE_VAR_",)):
            for ln in index.lines(job.path):
                m = _BUNDLE_VAR_ENV.search(tracking.gh_compact(ln))
                how = tracking.code_expr(m.group(2)) if m else None
                if m and how:
                    out.setdefault(m.group(1), how)
    return out


def _tags_with(index: FileIndex, e: ops.FileEntry, key: str) -> tuple[int, str] | None:
    """Where a job task's code puts the value of its ``key`` option or widget (``args.git_sha``,
    ``dbutils.widgets.get("git_sha")``) into a run's or registered model's tags: a tag call or a ``tags=`` argument
    taking it, or a keyword named for the code version (``Tags(git_sha=args.git_sha)``), where the code or a project
    module it imports tags a run or model with a tracker: (the line reading the option, the tagging call's name); None when
    it does not."""
    tree = index.python(e.path)
    if tree is None:
        return None
    derived: set[str] = set()

    def holds(node: ast.AST) -> bool:
        for x in walk(node):
            if isinstance(x, ast.Attribute) and x.attr == key or isinstance(x, ast.Name) and x.id in derived:
                return True
            if isinstance(x, ast.Call) and x.args and ops.literal(x.args[0]) == key and ops.dotted(x.func).rsplit(".", 1)[-1] in ("get", "getArgument") \
                    and ("widgets" in ops.dotted(x.func) or ops.dotted(x.func).endswith("getArgument")):
                return True
        return False

    for _ in range(3):
        for n in walk(tree):
            if isinstance(n, ast.Assign) and holds(n.value):
                derived |= {t.id for t in n.targets if isinstance(t, ast.Name)}
    call = next((n for n in walk(tree) if isinstance(n, ast.Call) and (
        any(kw.arg and (code_key(kw.arg) or kw.arg in _TAG_KWARGS) and holds(kw.value) for kw in n.keywords)
        or ops.dotted(n.func).rsplit(".", 1)[-1] in _TAG_CALLS and any(holds(a) for a in n.args))), None)
    if call is None:
        return None
    # where the option is read (``tags = Tags(**{"git_sha": args.git_sha, ...})``), else the tagging call itself
    read = min((x.lineno for x in walk(tree) if isinstance(x, ast.Attribute) and x.attr == key), default=call.lineno)
    passed = (read, ops.dotted(call.func) or "a call")
    todo, seen = [e], {e.path}
    for _depth in range(2):
        for f in list(todo):
            al, calls = ops.py_calls(index, f)
            if ops.imports_module(al, *_TRACKING_MODULES) and any(
                    (not c.qual or c.qual.startswith(_TRACKING_MODULES)) and (c.attr in _TAG_CALLS or any(c.has_kw(k) for k in _TAG_KWARGS))
                    for c in calls):
                return passed
        todo = [m for f in todo for m in ops.local_imports(index, f) if m.path not in seen and not m.test]
        seen |= {m.path for m in todo}
    return None


def _code_text(command: str) -> str | None:
    """The command's text with ``${{ github.sha }}`` kept in one word, when it names a code version (else None)."""
    text = tracking.gh_compact(command)
    return text if tracking.CODE_EXPR.search(text) else None


def _commit_argument(index: FileIndex, cmd: ops.Command, text: str) -> str | None:
    """``python scripts/track.py --commit-hash ${{ github.sha }}`` on an automated path, where the script logs the
    model to a tracker (``log_model``) in a run it names or tags with that option's value (``run_name =
    commit_hash[:7]``, ``mlflow.start_run(run_name=run_name)``): the run holding the model carries the commit. ``text``:
    ``_code_text`` of its command."""
    argv = text.split()
    if not argv or not re.match(r"^python[\d.]*$", argv[0].rsplit("/", 1)[-1]):
        return None
    script = next((a for a in argv[1:] if a.endswith(".py")), None)
    e = resolve(index, script, cmd.path) if script else None
    tree = index.python(e.path) if e is not None else None
    if tree is None:
        return None
    dests = {m.group(1).replace("-", "_") for m in _OPTION.finditer(text) if tracking.code_expr(m.group(2))}
    if not dests or not any(isinstance(n, ast.Call) and ops.dotted(n.func).rsplit(".", 1)[-1] == "log_model" for n in walk(tree)):
        return None
    derived = set(dests)  # names that hold the commit: the option's parameter and what is computed from it
    for _ in range(3):
        for n in walk(tree):
            if isinstance(n, ast.Assign) and any(isinstance(x, ast.Name) and x.id in derived or isinstance(x, ast.Attribute) and x.attr in derived
                                                 for x in walk(n.value)):
                derived |= {t.id for t in n.targets if isinstance(t, ast.Name)}
    for n in walk(tree):
        if isinstance(n, ast.Call) and ops.dotted(n.func).rsplit(".", 1)[-1] in _RUN_NAMING and any(
                isinstance(x, ast.Name) and x.id in derived for a in [*n.args, *(k.value for k in n.keywords)] for x in walk(a)):
            return "run-tag:git-sha"
    return None


# commands that register or upload a model (their tag/label/version option is read) ...
_MODEL_COMMAND = lazy_re(r"\b(az\s+ml\s+model\s+(create|register|update)|gcloud\s+ai\s+models\s+upload|mlflow|aws\s+sagemaker\s+create-model)\b")
_MODEL_TAG_OPTION = lazy_re(r"--(tags?|labels?|set-tag|version)[=\s]+(\S+)")
# ... the name a model or its training job is given on a command line (``aws sagemaker create-training-job
# --training-job-name``, ``create-model --model-name``, a training script's ``--model-name``/``--model_name``) ...
_MODEL_NAME_OPTION = lazy_re(r"--(?:model|training[-_]job)[-_]name[=\s]+(\S+)")
# ... or sets for the commands after it (``export MODEL_NAME=churn-v${CODEBUILD_BUILD_NUMBER}``)
_MODEL_NAME_VARIABLE = lazy_re(r"(?:export\s+)?[A-Z_]*(?:MODEL|TRAINING_JOB)_NAME=(\S+)")
# ... GTO's model tags (``git tag name@v1``, ``gto register``) ...
_GIT_TAG = lazy_re(r"\s*git\s+tag\s+(-a\s+)?\S+@v?\$?")
_GTO = lazy_re(r"\bgto\s+(register|assign)\b")
# ... and manifest edits that may write an image tag
_MANIFEST_EDIT = lazy_re(r"\s*(sed|yq|envsubst)\b")
_IMAGE_OR_TAG = lazy_re(r"image|tag", re.I)


_VAR_NAME = lazy_re(r"\$\{?([A-Za-z_]\w*)")


def _tag_assignment(lines: list[str], cmd: str, before: int) -> tuple[int, int] | None:
    """(first, last) line of the assignments above line ``before`` of a script that give the image tag of ``cmd`` its
    code version (``COMMIT_SHA=$(git rev-parse --short HEAD)`` ... ``IMAGE_TAG="${COMMIT_SHA}-${DATETIME}"``), followed
    through the variables each one reads; one line when they are more than 4 lines apart (the one asking git or the CI);
    None when the tag names the code version itself or its variables are not set in the script."""
    todo = [n for ref in tracking.image_refs(cmd) for n in _VAR_NAME.findall(tracking.tag_of(ref))]
    seen: set[str] = set()
    hits: list[tuple[int, bool]] = []  # (line, whether its own value asks git or the CI rather than naming a variable)
    while todo and len(seen) < 16:
        name = todo.pop(0)
        if name in seen:
            continue
        seen.add(name)
        at = next((k for k in range(min(before, len(lines)) - 1, 0, -1)
                   if (m := tracking.ASSIGN.match(lines[k - 1].strip())) and m.group(1) == name), None)
        if at is None:
            continue
        value = lines[at - 1].split("=", 1)[1]
        refs = _VAR_NAME.findall(value)
        if tracking.code_expr(value):
            hits.append((at, tracking.code_expr(_VAR_NAME.sub("", value)) is not None))
        todo += refs
    if not hits:
        return None
    lo, hi = min(h[0] for h in hits), max(h[0] for h in hits)
    if hi - lo > 4:
        lo = hi = next((h[0] for h in hits if h[1]), hi)
    return lo, hi


def _command_link(cmd: str, env: dict[str, list[str]], tag_trigger: bool) -> str | None:
    for ref in tracking.image_refs(cmd):
        for exp in tracking.expand(ref, env):
            how = tracking.code_expr(tracking.tag_of(exp), tag_trigger)
            if how:
                return f"image-tag:{how}"
    if _MODEL_COMMAND.search(cmd):
        m = _MODEL_TAG_OPTION.search(cmd)
        for exp in tracking.expand(m.group(2), env) if m else []:
            how = tracking.code_expr(exp, tag_trigger)
            if how:
                return f"model-tag:{how}"
    if _GIT_TAG.match(cmd) or _GTO.search(cmd):
        return "gto-tag"
    m = _MODEL_NAME_OPTION.search(cmd) or _MODEL_NAME_VARIABLE.match(cmd)
    for exp in tracking.expand(m.group(1), env) if m else []:
        how = tracking.code_expr(exp, tag_trigger)
        if how:
            return f"model-name:{how}"  # ``aws sagemaker create-model --model-name churn-v${CODEBUILD_BUILD_NUMBER}``
    if _MANIFEST_EDIT.match(cmd) and _IMAGE_OR_TAG.search(cmd):
        for exp in tracking.expand(cmd, env):
            how = tracking.code_expr(exp, tag_trigger)
            if how:
                return f"manifest-image-tag:{how}"
    return None


# SageMaker calls that name the model or the job that trains it: (call name, keyword of the name)
_SAGEMAKER_NAMES = (("fit", "job_name"), ("attach", "training_job_name"), ("create_model", "ModelName"),
                    ("create_training_job", "TrainingJobName"), ("register", "model_name"), ("CfnModel", "model_name"))
# files that may name a model by a CI build id read from the environment (``os.environ["CODEBUILD_BUILD_NUMBER"]``)
_BUILD_ID_TEXT = (b"BUILD_NUMBER", b"BUILD_ID", b"BuildId", b"RUN_NUMBER", b"RUN_ID", b"PIPELINE_ID", b"PIPELINE_IID", b"BUILD_NUM")


def _named_by_commit(index: FileIndex, e: ops.FileEntry, tree: ast.Module) -> tuple[int, str, bool] | None:
    """The line of a SageMaker model or training job named by the commit: ``PyTorchModel(name=settings.short_sha)``,
    ``estimator.fit(job_name=f"{settings.short_sha}")``, ``Estimator.attach(training_job_name=SETTINGS.short_sha)``, where
    the name reads a commit-named value that is set at run time (``code_key``: a variable assigned from a call or an
    expression, or a field of a settings class of the project, e.g. a pydantic ``BaseSettings`` field that is read
    from the environment or computed from one), or a CI variable the environment gives (``f"churn-v{os.environ[
    'CODEBUILD_BUILD_NUMBER']}"``: a build id, by the conventions a code/CI version link). A hard-coded ``short_sha =
    "abc1234"`` names nothing. Returns (line, how, the name is a CDK construct's)."""
    al, calls = ops.py_calls(index, e)
    if not ops.imports_module(al, "sagemaker", "boto3", "aws_cdk.aws_sagemaker"):
        return None
    # the model's own name first, then the jobs that train it
    for c in sorted(calls, key=lambda c: (not c.attr.endswith("Model"), c.line)):
        if c.qual and not c.qual.startswith(("sagemaker", "boto3")) and not c.attr.endswith("Model") and c.attr not in ("fit", "attach"):
            continue
        keys = [k for a, k in _SAGEMAKER_NAMES if c.attr == a]
        if c.attr.endswith("Model") and c.attr[:1].isupper():
            keys.append("name")
        for k in keys:
            value = ops.kwarg(c.node, k)
            if value is None:
                continue
            cdk = c.qual.startswith("aws_cdk.")
            if any(_runtime_code_value(index, e, tree, n) for n in walk(value)):
                return c.line, "git-sha", cdk
            how = next((h for n in walk(value) if (h := _env_code_value(tree, n))), "")
            if how:
                return c.line, how, cdk
    return None


def _env_code_value(tree: ast.Module, n: ast.AST, depth: int = 0) -> str:
    """Is ``n`` the name of a CI variable holding the commit or build id, as the environment gives it
    (``os.environ["CODEBUILD_BUILD_NUMBER"]``, ``os.getenv("GITHUB_SHA")``: the literal inside), or a name bound to a value
    reading one (``build = os.environ["CODEBUILD_BUILD_NUMBER"]``)? Its kind (``ci-build-id``/``git-sha``), or ''."""
    if isinstance(n, ast.Constant) and isinstance(n.value, str):
        return (tracking.code_expr(n.value) or "") if len(n.value) < 64 and tracking.CODE_EXPR.fullmatch(n.value) else ""
    if isinstance(n, ast.Name) and depth < 2:
        return next((h for a in walk(tree) if isinstance(a, ast.Assign) and any(isinstance(t, ast.Name) and t.id == n.id for t in a.targets)
                     for x in walk(a.value) if (h := _env_code_value(tree, x, depth + 1))), "")
    return ""


def _runtime_code_value(index: FileIndex, e: ops.FileEntry, tree: ast.Module, n: ast.AST) -> bool:
    """Is ``n`` a commit-named name or attribute whose value is set at run time?"""
    if isinstance(n, ast.Name) and code_key(n.id):
        values = [a.value for a in walk(tree) if isinstance(a, ast.Assign) and any(isinstance(t, ast.Name) and t.id == n.id for t in a.targets)]
        return bool(values) and not any(isinstance(v, ast.Constant) for v in values)
    if not (isinstance(n, ast.Attribute) and code_key(n.attr)):
        return False
    for f in (e, *ops.local_imports(index, e)):
        t = tree if f is e else index.python(f.path)
        for cls in (x for x in walk(t) if isinstance(x, ast.ClassDef)) if t is not None else ():
            for st in cls.body:
                if isinstance(st, ast.AnnAssign) and isinstance(st.target, ast.Name) and st.target.id == n.attr:
                    # a field: filled at construction (a settings class reads it from the environment) or computed
                    return st.value is None or not isinstance(st.value, ast.Constant)
                if isinstance(st, ast.Assign) and any(isinstance(x, ast.Name) and x.id == n.attr for x in st.targets):
                    return not isinstance(st.value, ast.Constant)
    return False


# Model files written with their metadata: the saved object is a dict (a checkpoint) that carries the git commit
SAVE_NEEDLES = (b"torch.save", b"joblib.dump", b"pickle.dump", b"save_checkpoint", b"cloudpickle.dump", b"dill.dump")
_SAVE_CALLS = ("torch.save", "joblib.dump", "pickle.dump", "cloudpickle.dump", "dill.dump")


def _checkpoint_link(index: FileIndex, e: ops.FileEntry, tree: ast.AST) -> tuple[int, str] | None:
    """(line, how) for a checkpoint saved as a dict with a git/commit entry whose value is computed (``{"model": m,
    "git": GIT_INFO}``, ``ckpt["commit"] = sha``), not a constant."""
    al, calls = ops.py_calls(index, e)
    dicts: dict[str, list[ast.Dict]] = {}
    keyed: set[str] = set()
    for n in walk(tree):
        if isinstance(n, ast.Assign) and len(n.targets) == 1:
            t = n.targets[0]
            if isinstance(t, ast.Name) and isinstance(n.value, ast.Dict):
                dicts.setdefault(t.id, []).append(n.value)
            elif isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name) and isinstance(ops.literal(t.slice), str) \
                    and code_key(ops.literal(t.slice)) and not isinstance(n.value, ast.Constant):
                keyed.add(t.value.id)

    def carries(d: ast.Dict) -> bool:
        return any(isinstance(k, ast.Constant) and isinstance(k.value, str) and code_key(k.value) and not isinstance(v, ast.Constant)
                   for k, v in zip(d.keys, d.values))

    for c in calls:
        if not (c.qual in _SAVE_CALLS or c.attr == "save_checkpoint") or not c.node.args:
            continue
        obj = c.node.args[0]
        if isinstance(obj, ast.Dict) and carries(obj) or isinstance(obj, ast.Name) and (
                obj.id in keyed or any(carries(d) for d in dicts.get(obj.id, ()))):
            return c.line, "checkpoint-meta"
    return None


def _file_fact(link: Any) -> Any:
    """``link`` over one file as a file fact (FileIndex.fact): [line, how] or None, kept between scans by content, so
    a rescan after an edit elsewhere reuses this pass without parsing the files it looked at."""

    def build(index: FileIndex, path: str) -> list[Any] | None:
        tree = index.python(path)
        hit = link(index, ops.FileEntry(path, path, "project"), tree) if tree is not None else None
        return list(hit) if hit else None

    return build


def _tag_key(c: ops.PyCall) -> ast.AST | None:
    """The key argument of a tag/param call, positional or by keyword: ``set_tag("git_sha", v)``,
    ``client.set_model_version_tag(name, version, "build_id", v)`` or, by keyword, ``set_model_version_tag(name=...,
    version=..., key="build_id", value=...)``."""
    if c.attr not in _TAG_CALLS:
        return None
    by_name = ops.kwarg(c.node, "key")
    if by_name is not None:
        return by_name
    if not c.node.args:
        return None
    version_tag = c.attr in ("set_model_version_tag", "set_registered_model_tag")
    return c.node.args[2] if version_tag and len(c.node.args) > 2 else c.node.args[0]


# MLflow's ``MlflowClient.set_registered_model_alias(name, alias, version)``: an alias names one registered version
_ALIAS_CALLS = frozenset({"set_registered_model_alias"})
_ENV_READS = frozenset({"os.getenv", "getenv", "os.environ.get", "environ.get"})


def _env_key(n: ast.AST) -> str | None:
    """The variable an environment read names: ``os.environ["GIT_SHA"]``, ``os.getenv("GIT_SHA")``, ``os.environ.get(...)``."""
    if isinstance(n, ast.Subscript) and ops.dotted(n.value).endswith("environ"):
        key = ops.literal(n.slice)
    elif isinstance(n, ast.Call) and n.args and ops.dotted(n.func) in _ENV_READS:
        key = ops.literal(n.args[0])
    else:
        return None
    return key if isinstance(key, str) else None


def _commit_value(tree: ast.AST, node: ast.AST) -> bool:
    """Does an expression carry the commit at run time: a commit-named environment variable read in it
    (``os.environ["COMMIT_SHA"]``, ``f"sha-{os.getenv('GIT_SHA')[:7]}"``), or a commit-named name assigned only from
    expressions (``COMMIT_SHA = os.getenv("COMMIT_SHA")``, ``sha = repo.head.commit.hexsha``)? A commit written out as a
    literal (``COMMIT_SHA = "abc1234"``) versions nothing."""
    for n in walk(node):
        key = _env_key(n)
        if key is not None and code_key(key):
            return True
        if isinstance(n, ast.Name) and code_key(n.id):
            values = [a.value for a in walk(tree) if isinstance(a, ast.Assign) and any(isinstance(t, ast.Name) and t.id == n.id for t in a.targets)]
            if values and not any(isinstance(v, ast.Constant) for v in values):
                return True
    return False


# words of a job's call or name that say it makes the model (``TrainingStep("Training Job", ...)``, ``Estimator``,
# ``log_model``), or that it serves another purpose (a Model Monitor baseline, a processing or batch transform job)
_MODEL_JOB_WORDS = frozenset({"train", "training", "trainer", "tuning", "tuner", "estimator", "fit", "model", "register", "registered"})
_OTHER_JOB_WORDS = frozenset({"monitor", "monitoring", "baseline", "processing", "processor", "transform", "transformer", "batch",
                              "inference", "predict", "prediction", "scoring", "evaluation"})


def _job_rank(c: ops.PyCall) -> int:
    """0 for a call that makes the model, 2 for a job of another purpose, 1 otherwise: where a code-version tag is the
    model's (a training job's tags before a monitoring baseline job's, both set from the same commit)."""
    name = c.node.args[0] if c.node.args else ops.kwarg(c.node, "state_id") or ops.kwarg(c.node, "base_job_name")
    label = ops.literal(name) if name is not None else None
    w = words(c.attr) | (words(label) if isinstance(label, str) else set())
    return 2 if w & _OTHER_JOB_WORDS and not words(c.attr) & _MODEL_JOB_WORDS else 0 if w & _MODEL_JOB_WORDS else 1


def _python_link(index: FileIndex, e: ops.FileEntry, tree: ast.AST) -> tuple[int, str] | None:
    """(line, how) for a code-version tag set on a run or registered model; of several tagged jobs, the one that makes the
    model (``_job_rank``), then the first."""
    found: list[tuple[int, int, int, str]] = []
    for order, (line, how, c) in enumerate(_python_links(index, e, tree)):
        found.append((_job_rank(c) if c is not None else 1, order, line, how))
        if found[-1][0] == 0:
            break
    best = min(found, default=None)
    return (best[2], best[3]) if best is not None else None


def _python_links(index: FileIndex, e: ops.FileEntry, tree: ast.AST) -> Iterator[tuple[int, str, ops.PyCall | None]]:
    """Each code-version tag set on a run, job or registered model: (line, how, the call that sets it)."""
    al, calls = ops.py_calls(index, e)
    if not ops.imports_module(al, *_TRACKING_MODULES):
        return
    tag_vars: dict[str, str] = {}
    for c in calls:
        if c.qual and not c.qual.startswith(_TRACKING_MODULES):
            continue  # sentry_sdk.set_tag, logging adapters ...
        if c.attr in ("MetadataProperties",) and c.has_kw("commit_id"):
            yield c.line, "sagemaker-commit-id", c
        if c.attr in _ALIAS_CALLS:
            alias = ops.kwarg(c.node, "alias") or (c.node.args[1] if len(c.node.args) > 1 else None)
            if alias is not None and _commit_value(tree, alias):
                yield c.line, "model-alias:git-sha", c
        key_node = _tag_key(c)
        if key_node is not None:
            key = ops.literal(key_node)
            if isinstance(key, str) and code_key(key):
                yield c.line, "run-tag" if "model" not in c.attr else "model-tag", c
            elif isinstance(key_node, ast.Dict) and any(isinstance(ops.literal(k), str) and code_key(ops.literal(k)) for k in key_node.keys if k):
                yield c.line, "run-tag", c
            if isinstance(key_node, ast.Name):
                tag_vars[key_node.id] = "run-tag"
        for kw in c.node.keywords:
            if kw.arg in _TAG_KWARGS:
                how = "model-tag" if "regist" in c.attr or c.attr in ("log_model", "create_or_update", "Model") else "run-tag"
                if isinstance(kw.value, ast.Dict) and any(isinstance(ops.literal(k), str) and code_key(ops.literal(k)) for k in kw.value.keys if k):
                    yield c.line, how, c
                    break
                if isinstance(kw.value, ast.Name):
                    tag_vars[kw.value.id] = how
    for n in walk(tree):
        if isinstance(n, ast.Assign):
            for t in n.targets:
                if isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name) and t.value.id in tag_vars:
                    key = ops.literal(t.slice)
                    if isinstance(key, str) and code_key(key):
                        yield n.lineno, tag_vars[t.value.id], None
                        return
                if isinstance(t, ast.Name) and t.id in tag_vars and isinstance(n.value, ast.Dict):
                    if any(isinstance(ops.literal(k), str) and code_key(ops.literal(k)) for k in n.value.keys if k):
                        yield n.lineno, tag_vars[t.id], None
                        return


# words of the commit read at run time: GitPython's ``hexsha``, the CI variables holding the commit
_RUNTIME_COMMIT_WORDS = (b"hexsha", b"GITHUB_SHA", b"CI_COMMIT_SHA", b"GIT_COMMIT", b"GIT_SHA", b"COMMIT_SHA", b"BUILD_SOURCEVERSION",
                         b"CODEBUILD_RESOLVED_SOURCE_VERSION", b"BITBUCKET_COMMIT", b"CIRCLE_SHA1")


def _metadata_record(index: FileIndex, path: str) -> list[Any] | None:
    """[line, how] of the first record of a model written out with the run-time commit (``facts.metadata_records``)."""
    tree = index.python(path)
    if tree is None:
        return None
    from mlscan.facts.metadata_records import commit_records  # imported where a file reads the commit at run time

    found = [r for r in commit_records(tree) if r[2]]
    return [found[0][0], found[0][1]] if found else None


METADATA_RECORD = register_fact("model.code_version.metadata_record", _metadata_record)

# derived when the file is first parsed (in the wiring graph or the shared pass), for the files detect() asks about
PYTHON_LINK = register_fact("model.code_version.python_link", _file_fact(_python_link),
                            eager=lambda index, path: index.may_mention(path, NEEDLES) and index.may_mention(path, TRACKING_NEEDLES))
CHECKPOINT_LINK = register_fact("model.code_version.checkpoint_link", _file_fact(_checkpoint_link),
                                eager=lambda index, path: index.may_mention(path, NEEDLES) and index.may_mention(path, SAVE_NEEDLES))
