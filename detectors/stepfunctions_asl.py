"""ML workflows written in the Amazon States Language (ASL), wherever a repository keeps the definition: a state machine
file (``*.asl.json``, or any JSON with ``StartAt`` and ``States``), the ``definition`` of a Terraform
``aws_sfn_state_machine`` (heredoc JSON, or a ``file()``/``templatefile()`` it reads), or the ``Definition``/
``DefinitionString`` of a CloudFormation ``AWS::StepFunctions::StateMachine``, or a definition written in JavaScript/
TypeScript or Python that the code deploys (a JSON string or template literal, ``DefinitionBody.fromString(`...`)``, or
an object literal/dict ``{ StartAt, States }`` passed through ``JSON.stringify``/``json.dumps``, in a file of a CDK app
or one that creates the state machine through the AWS SDK; comments blanked). Task states that call SageMaker through
the service integrations (``arn:aws:states:::sagemaker:createTrainingJob.sync`` ... ``createEndpoint``) linked by
``Next`` form a DAG, their endpoint tasks the workflow's deploy, a ``Choice`` on a numeric metric that sends a bad model
to ``Fail`` (or away from the deploy) a quality gate, the training task's ``OutputDataConfig.S3OutputPath`` the
model artifact store, and a training job or model named (or tagged) from the execution input's commit
(``"TrainingJobName.$": "$.commitID"``, the model created under that name) the model's code version. Feeds D3, E3, M2,
M4, T2."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from typing import Any

from mlscan.detector import Detector, Need
from mlscan.facts import ops
from mlscan.facts.orchestration import words
from mlscan.facts.pyast import walk
from mlscan.facts.typescript import cdk_app_of, literal, object_literals, strings, ts_file
from mlscan.index import FileEntry, FileIndex
from mlscan.lazyre import lazy_re
from mlscan.model import Finding, Strength

_SAGEMAKER = lazy_re(r"arn:aws:states:::sagemaker:(\w+)", re.I)
_SERVICE = lazy_re(r"arn:aws:states:::(\w[\w-]*):(\w+)", re.I)
_TRAINING = ("createtrainingjob", "createhyperparametertuningjob")
_DEPLOY = ("createendpoint", "updateendpoint")
_SERVING = ("createmodel", "createendpointconfig", *_DEPLOY)
_NUMERIC = ("NumericLessThan", "NumericGreaterThan", "NumericLessThanEquals", "NumericGreaterThanEquals",
            "NumericLessThanPath", "NumericGreaterThanPath", "NumericLessThanEqualsPath", "NumericGreaterThanEqualsPath")
_METRIC_WORDS = frozenset({"metric", "metrics", "accuracy", "auc", "f1", "rmse", "mse", "mae", "loss", "score", "precision", "recall",
                           "r2", "error", "validation"})
_HEREDOC = lazy_re(r"\bdefinition\s*=\s*<<-?\s*(\w+)\s*\n(.*?)\n\s*\1\b", re.S)
_FILE_FN = lazy_re(r"""\bdefinition\s*=\s*(?:templatefile|file)\s*\(\s*(?:"\$\{path\.module\}/)?"?([^",)]+)""")
NEEDLES = (b"States", b"StartAt")
_JS_SUFFIXES = (".ts", ".js", ".mjs", ".cjs")
_JS_GLOBS = tuple(f"**/*{x}" for x in _JS_SUFFIXES)
_EVENT_TARGET = lazy_re(r"\bSfnStateMachine\s*\(")
# code that creates or updates a state machine from the definition it holds: a CDK app's StateMachine/CfnStateMachine,
# or the AWS SDK's CreateStateMachine/UpdateStateMachine (v3 commands, v2 client methods), or a Serverless Framework service
# (``serverless.ts``) declaring its state machines
_JS_DEPLOYS = lazy_re(r"\b(?:StateMachine|CfnStateMachine)\s*\(|\b(?:Create|Update)StateMachineCommand\b|\.\s*(?:create|update)StateMachine\s*\("
                      r"|\bstateMachines\s*:")  # (a Serverless Framework service in TypeScript: ``stepFunctions: { stateMachines: {...} }``)


class StepFunctionsAsl(Detector):
    """SageMaker workflows in Amazon States Language definitions (files, Terraform, CloudFormation); feeds D3, M2, M4, T2."""

    id = "stepfunctions.asl"
    questions = ("D3", "E3", "M2", "M4", "T2", "T4")
    globs = ("**/*.json", *ops.YAML_GLOBS, "**/*.tf", *_JS_GLOBS, "**/*.py")
    # definition files by their text; code (JavaScript/TypeScript/Python) first by the word ``StartAt`` a definition
    # written in it holds (a word check: no code file's bytes are searched for the ARN unless it has the word)
    needs_any = (Need(("**/*.json", *ops.YAML_GLOBS, "**/*.tf"), text=(b"arn:aws:states:::sagemaker:", b"aws_sfn_state_machine")),
                 Need((*_JS_GLOBS, "**/*.py"), words=(b"StartAt",)))
    signals = ("pipeline.dag", "deploy.automated", "gate.metric", "artifact.store", "model.code_version", "governance.approval")

    def detect(self, index: FileIndex) -> Iterator[Finding]:
        for e in index.select(self.globs):
            if e.test or (e.suffix in (*_JS_SUFFIXES, ".py") and not index.mentions(e.path, (b"StartAt",))):
                continue
            # a Terraform state machine may read its definition from a template file (``templatefile("definition.json.tpl")``)
            if not (index.contains(e.path, (b"arn:aws:states:::sagemaker:",))
                    or (e.suffix == ".tf" and index.contains(e.path, (b"aws_sfn_state_machine",)))):
                continue
            # an EventBridge rule of the same CDK app file starting the machine (``targets: [new SfnStateMachine(m)]``:
            # an S3 upload, a CodeCommit push) runs it without anyone dispatching it
            f = ts_file(index, e) if e.suffix in _JS_SUFFIXES else None
            triggered = f is not None and _EVENT_TARGET.search(f.code) is not None
            for machine, line, path in _machines(index, e):
                yield from self._machine(index, path, machine, line, triggered)

    def _machine(self, index: FileIndex, path: str, machine: dict[str, Any], line: int, triggered: bool = False) -> Iterator[Finding]:
        states = _all_states(machine)
        kinds = {name: _kind(s) for name, s in states.items()}
        linked = _linked(machine, states)
        work = [n for n in states if kinds[n] not in ("", "choice", "fail", "succeed", "pass") and n in linked]
        if not any(_SAGEMAKER.search(str(s.get("Resource", ""))) for s in states.values()):
            return  # a state machine read from a template may call no SageMaker job at all
        at = _line_of(index, path, line, work[0]) if work else line
        # steps that name where their data comes from and goes (``ProcessingInputs``, ``InputDataConfig``, an S3 URI)
        # declare lineage; a copy that only orders its tasks does not: it is cited at its first data location
        data = next((n for n in work if _data_locations(states[n].get("Parameters"))), None)
        if len(work) >= 2:
            yield self.found("pipeline.dag", index, path, _data_line(index, path, _line_of(index, path, line, data)) if data else at,
                             strength=Strength.MEDIUM,
                             attrs={"tool": "stepfunctions", "steps": len(work), "with_io": True, "data_io": data is not None,
                                    "training": any(kinds[n] in _TRAINING for n in work)})
        deploy = next((n for n in work if kinds[n] in _DEPLOY), None)
        if deploy is not None:
            yield self.found("deploy.automated", index, path, _line_of(index, path, line, deploy), strength=Strength.MEDIUM,
                             attrs={"system": "stepfunctions", "target": "sagemaker", "active": True, "automatic": triggered,
                                    "via": "step functions state machine (ASL)", "environment": "", "job": deploy,
                                    "manual_dispatch": not triggered})
        approval = _approval(states, kinds, linked) if deploy is not None else None
        if approval is not None:
            yield self.found("governance.approval", index, path, _line_of(index, path, line, approval), strength=Strength.STRONG,
                             attrs={"kind": "manual-approval", "system": "stepfunctions", "job": approval})
        gate = _gate(states, kinds)
        if gate is not None:
            yield self.found("gate.metric", index, path, _line_of(index, path, line, gate), strength=Strength.MEDIUM,
                             attrs={"tool": "stepfunctions", "blocking": True, "kind": "threshold"})
        train = next((n for n in work if kinds[n] in _TRAINING), None)
        params = states[train].get("Parameters") if train else None
        out = params.get("OutputDataConfig") if isinstance(params, dict) else None
        if isinstance(out, dict) and any(k.startswith("S3OutputPath") for k in out):
            yield self.found("artifact.store", index, path, _output_line(index, path, _line_of(index, path, line, train)), strength=Strength.MEDIUM,
                             attrs={"how": "estimator-output", "kind": "s3", "wired": False})
        if any(kinds[n] == "createmodel" for n in work):
            for n in work:
                if kinds[n] not in (*_TRAINING, "createmodel"):
                    continue
                key = _code_version_key(states[n].get("Parameters"))
                if key is not None:
                    at = _line_of(index, path, line, n)
                    yield self.found("model.code_version", index, path, _key_line(index, path, at, key), strength=Strength.MEDIUM,
                                     attrs={"how": "stepfunctions-input", "tool": "sagemaker", "state": n, "carries_model": True})
                    break


def _machines(index: FileIndex, e: FileEntry) -> Iterator[tuple[dict[str, Any], int, str]]:
    """(ASL definition, line where it starts, file that holds it) for every state machine the file holds or reads."""
    if e.suffix in _JS_SUFFIXES:
        yield from _js_machines(index, e)
        return
    if e.suffix == ".py":
        yield from _py_machines(index, e)
        return
    if e.suffix == ".tf":
        for b in ops.tf_blocks(index, e):
            if b.kind != "resource" or b.type != "aws_sfn_state_machine":
                continue
            for m in _HEREDOC.finditer(b.body):
                doc = _loads(_bare_interpolations(m.group(2)))
                if doc is not None:
                    yield doc, b.line + b.body.count("\n", 0, m.start(2)) + 1, e.path
            fm = _FILE_FN.search(b.body)
            if fm:
                target = _sibling(index, e, fm.group(1).strip())
                doc = _loads(_bare_interpolations(index.text(target) or "")) if target else None
                if doc is not None and target is not None:
                    yield doc, 1, target
        return
    docs = [index.json(e.path)] if e.suffix == ".json" else index.yaml(e.path)
    for doc in docs:
        if isinstance(doc, dict) and isinstance(doc.get("States"), dict) and "StartAt" in doc:
            yield doc, 1, e.path
            continue
        # a Serverless Framework service (``serverless-step-functions``): ``stepFunctions.stateMachines.<name>.definition``
        machines = doc.get("stepFunctions") if isinstance(doc, dict) else None
        machines = machines.get("stateMachines") if isinstance(machines, dict) else None
        for m in machines.values() if isinstance(machines, dict) else ():
            d = m.get("definition") if isinstance(m, dict) else None
            if isinstance(d, dict) and isinstance(d.get("States"), dict):
                at = getattr(d, "line", 0) or (m.line_of("definition") if hasattr(m, "line_of") else 1)
                yield d, at, e.path
        resources = doc.get("Resources") if isinstance(doc, dict) else None
        for name, r in (resources.items() if isinstance(resources, dict) else ()):
            if not (isinstance(r, dict) and str(r.get("Type", "")) in ("AWS::StepFunctions::StateMachine", "AWS::Serverless::StateMachine")):
                continue
            props = r.get("Properties") if isinstance(r.get("Properties"), dict) else {}
            definition = props.get("Definition")
            if not isinstance(definition, dict):
                raw = props.get("DefinitionString")
                raw = raw.get("Fn::Sub") if isinstance(raw, dict) else raw
                raw = raw[0] if isinstance(raw, list) and raw else raw
                definition = _loads(raw) if isinstance(raw, str) else None
            if isinstance(definition, dict):
                yield definition, resources.line_of(name) if hasattr(resources, "line_of") else 1, e.path


def _js_machines(index: FileIndex, e: FileEntry) -> Iterator[tuple[dict[str, Any], int, str]]:
    """Definitions a JavaScript/TypeScript file writes and deploys: a string or template literal holding the JSON
    (``DefinitionBody.fromString(`{...}`)``, ``definitionString``), or an object literal with ``StartAt`` and ``States``
    (``JSON.stringify(definition)``). The file must deploy it: a CDK app's file that builds a state machine (a construct
    library the app never reaches is not synthesised), or code creating it through the AWS SDK."""
    if e.name.endswith(".d.ts"):
        return
    f = ts_file(index, e)
    if f is None or not _JS_DEPLOYS.search(f.code) or (f.cdk() and cdk_app_of(index, e.path) is None):
        return
    seen: set[int] = set()
    for text in strings(f.code):
        if "StartAt" in text and "arn:aws:states:::sagemaker:" in text:
            doc = _loads(_bare_interpolations(text.strip()))
            at = f.code.find(text)
            if doc is not None and at not in seen:
                seen.add(at)
                yield doc, f.line_at(at), e.path
    for at, obj in object_literals(f.code, "StartAt"):
        value = literal(obj)
        if at not in seen and isinstance(value, dict) and isinstance(value.get("States"), dict) and "arn:aws:states:::sagemaker:" in obj:
            seen.add(at)
            yield value, f.line_at(at), e.path


_PY_DEPLOYS = frozenset({"StateMachine", "CfnStateMachine", "create_state_machine", "update_state_machine"})


def _py_machines(index: FileIndex, e: FileEntry) -> Iterator[tuple[dict[str, Any], int, str]]:
    """Definitions a Python module writes as a dict (``{"StartAt": ..., "States": {...}}``, values that are not literals
    kept as their source) or a JSON string, in a module that deploys them: a CDK ``StateMachine``/``CfnStateMachine``
    (``DefinitionBody.from_string(json.dumps(definition))``, ``definition_string=``) or boto3's
    ``create_state_machine``/``update_state_machine``."""
    tree = index.python(e.path)
    if tree is None or not any(isinstance(c, ast.Call) and _py_name(c.func) in _PY_DEPLOYS for c in walk(tree)):
        return
    for node in walk(tree):
        if isinstance(node, ast.Dict) and any(isinstance(k, ast.Constant) and k.value == "StartAt" for k in node.keys):
            value = _py_value(node)
            if isinstance(value, dict) and isinstance(value.get("States"), dict):
                yield value, node.lineno, e.path
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and "StartAt" in node.value:
            doc = _loads(node.value.strip())
            if doc is not None:
                yield doc, node.lineno, e.path


def _py_name(func: ast.expr) -> str:
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def _py_value(node: ast.expr, depth: int = 0) -> Any:
    """A dict/list literal's value with the expressions that are not literals kept as their source text."""
    if depth > 30:
        return None
    if isinstance(node, ast.Dict):
        return {k.value: _py_value(v, depth + 1) for k, v in zip(node.keys, node.values, strict=False)
                if isinstance(k, ast.Constant) and isinstance(k.value, str)}
    if isinstance(node, (ast.List, ast.Tuple)):
        return [_py_value(x, depth + 1) for x in node.elts]
    if isinstance(node, ast.Constant):
        return node.value
    return ast.unparse(node)


def _bare_interpolations(text: str) -> str:
    """Terraform ``${...}`` written outside JSON strings (``"VolumeSizeInGB": ${var.size}``) as ``null``, so the heredoc
    parses as JSON; interpolations inside strings stay as they are."""
    out: list[str] = []
    i, n, in_str = 0, len(text), False
    while i < n:
        c = text[i]
        if in_str:
            out.append(c)
            if c == "\\" and i + 1 < n:
                out.append(text[i + 1])
                i += 1
            elif c == '"':
                in_str = False
        elif c == '"':
            in_str = True
            out.append(c)
        elif text.startswith("${", i):
            j = text.find("}", i)
            out.append("null")
            i = n if j < 0 else j
        else:
            out.append(c)
        i += 1
    return "".join(out)


def _loads(text: str) -> dict[str, Any] | None:
    try:
        doc = json.loads(text)
    except ValueError:
        return None
    return doc if isinstance(doc, dict) and isinstance(doc.get("States"), dict) else None


def _sibling(index: FileIndex, e: FileEntry, rel: str) -> str | None:
    base = e.vpath.rsplit("/", 1)[0] if "/" in e.vpath else ""
    want = "/".join(p for p in f"{base}/{rel}".split("/") if p and p != ".")
    return next((x.path for x in index.select((want,))), None)


def _all_states(machine: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every state by name, including the states of Parallel branches and Map iterators."""
    out: dict[str, dict[str, Any]] = {}
    todo = [machine]
    while todo:
        m = todo.pop()
        for name, s in (m.get("States") or {}).items() if isinstance(m.get("States"), dict) else ():
            if isinstance(s, dict):
                out[str(name)] = s
                todo += [b for b in s.get("Branches") or [] if isinstance(b, dict)]
                todo += [x for x in (s.get("Iterator"), s.get("ItemProcessor")) if isinstance(x, dict)]
    return out


def _kind(state: dict[str, Any]) -> str:
    t = str(state.get("Type", "")).lower()
    if t != "task":
        return t
    res = str(state.get("Resource", ""))
    m = _SAGEMAKER.search(res)
    if m:
        return m.group(1).lower()
    s = _SERVICE.search(res)
    return s.group(1).lower() if s else "task"


def _linked(machine: dict[str, Any], states: dict[str, dict[str, Any]]) -> set[str]:
    """States reachable from ``StartAt`` through ``Next``, ``Default``, choices and ``Catch`` (and branch starts)."""
    starts = [machine.get("StartAt")] + [b.get("StartAt") for s in states.values() for b in s.get("Branches") or [] if isinstance(b, dict)]
    starts += [x.get("StartAt") for s in states.values() for x in (s.get("Iterator"), s.get("ItemProcessor")) if isinstance(x, dict)]
    seen: set[str] = set()
    todo = [str(x) for x in starts if x]
    while todo:
        n = todo.pop()
        if n in seen or n not in states:
            continue
        seen.add(n)
        s = states[n]
        nxt = [s.get("Next"), s.get("Default"), *(c.get("Next") for c in s.get("Choices") or [] if isinstance(c, dict)),
               *(c.get("Next") for c in s.get("Catch") or [] if isinstance(c, dict))]
        todo += [str(x) for x in nxt if x]
    return seen


def _gate(states: dict[str, dict[str, Any]], kinds: dict[str, str]) -> str | None:
    """A Choice state with a numeric rule on a metric path whose two ways differ: one leads to Fail (or does not reach
    serving) while the other goes on towards a model/endpoint."""
    for name, s in states.items():
        if kinds[name] != "choice":
            continue
        for c in s.get("Choices") or []:
            if not isinstance(c, dict):
                continue
            nested = [x for key in ("And", "Or") for x in (c.get(key) if isinstance(c.get(key), list) else []) if isinstance(x, dict)]
            rules = [c, *nested]
            if not any(k in r for r in rules for k in _NUMERIC):
                continue
            var = " ".join(str(r.get("Variable", "")) for r in rules)
            if not words(var) & _METRIC_WORDS:
                continue
            ways = {_reaches(states, kinds, str(c.get("Next", ""))), _reaches(states, kinds, str(s.get("Default", "")))}
            if len(ways) == 2 and ("fail" in ways or "serve" in ways):
                return name
    return None


def _approval(states: dict[str, dict[str, Any]], kinds: dict[str, str], linked: set[str]) -> str | None:
    """A human approval before the deploy: a task that waits for a callback (``...:invoke.waitForTaskToken``, an SNS/SQS
    message or Slack request carrying the task token) named for an approval, from which the endpoint task is reached
    only through it (the reviewer's answer resumes the execution; a rejection goes to ``Fail``)."""
    for name, s in states.items():
        if name not in linked or not str(s.get("Resource", "")).endswith(".waitForTaskToken"):
            continue
        if "approv" not in f"{name} {json.dumps(s.get('Parameters', ''))}".lower():
            continue
        seen: set[str] = set()
        todo = [name]
        while todo:
            n = todo.pop()
            if n in seen or n not in states:
                continue
            seen.add(n)
            if kinds[n] in _DEPLOY:
                return name
            st = states[n]
            todo += [str(x) for x in (st.get("Next"), st.get("Default"), *(c.get("Next") for c in st.get("Choices") or [] if isinstance(c, dict))) if x]
    return None


def _reaches(states: dict[str, dict[str, Any]], kinds: dict[str, str], start: str) -> str:
    """Where a way out of a Choice ends up: 'fail' (a Fail state first), 'serve' (a model/endpoint task on the way),
    or 'other'."""
    seen: set[str] = set()
    n = start
    while n and n in states and n not in seen:
        seen.add(n)
        if kinds[n] == "fail":
            return "fail"
        if kinds[n] in _SERVING:
            return "serve"
        n = str(states[n].get("Next") or "")
    return "other"


_CODE_WORDS = frozenset({"commit", "commitid", "sha", "gitsha", "githash", "revision", "git"})
_NAME_KEYS = ("TrainingJobName.$", "ModelName.$", "HyperParameterTuningJobName.$")


def _code_path(path: Any) -> bool:
    """A JSONPath (or ``States.Format`` of one) whose field names a commit: ``$.commitID``, ``$.git.sha``."""
    if not isinstance(path, str):
        return False
    fields = re.findall(r"\$\.([\w.]+)", path)
    return any(words(re.sub(r"([a-z])([A-Z])", r"\1 \2", f).replace(".", " ")) & _CODE_WORDS
               or f.lower().replace("_", "") in _CODE_WORDS for f in fields)


def _code_version_key(params: Any) -> str | None:
    """The parameter that names or tags the SageMaker job/model from the commit in the execution input."""
    if not isinstance(params, dict):
        return None
    for k in _NAME_KEYS:
        if _code_path(params.get(k)):
            return k
    for tag in params.get("Tags") or []:
        if isinstance(tag, dict) and words(str(tag.get("Key", ""))) & _CODE_WORDS and _code_path(tag.get("Value.$")):
            return "Tags"
    return None


def _key_line(index: FileIndex, path: str, start: int, key: str) -> int:
    """The line of ``"<key>"`` at or after ``start`` (``start`` when not found)."""
    lines = (index.text(path) or "").splitlines()
    return next((i + 1 for i in range(max(start - 1, 0), len(lines)) if f'"{key}"' in lines[i]), start)


def _line_of(index: FileIndex, path: str, start: int, state: str) -> int:
    """The line of ``"<state>":`` at or after ``start`` in the file (the definition's own line when not found)."""
    text = index.text(path) or ""
    lines = text.splitlines()
    for i in range(max(start - 1, 0), len(lines)):
        if f'"{state}"' in lines[i] and ":" in lines[i].split(f'"{state}"', 1)[1][:3]:
            return i + 1
        if re.match(rf"""\s*(['"]?){re.escape(state)}\1\s*:""", lines[i]):  # a JavaScript object literal's key
            return i + 1
    return start


# where a SageMaker step reads and writes its data (processing inputs/outputs, training channels, transform input/output)
_DATA_KEYS = frozenset({"ProcessingInputs", "ProcessingOutputConfig", "InputDataConfig", "OutputDataConfig", "TransformInput",
                        "TransformOutput", "S3Uri", "S3DataSource", "S3OutputPath", "DataSource"})
_DATA_LINE = lazy_re(r'"(?:S3Uri|S3OutputPath|S3DataSource|ProcessingInputs|InputDataConfig|TransformInput)(?:\.\$)?"\s*:')


def _data_locations(params: Any, depth: int = 0) -> bool:
    """Does a task's ``Parameters`` name a data location (a key of ``_DATA_KEYS``, or an ``s3://`` value)?"""
    if depth > 8:
        return False
    if isinstance(params, dict):
        return any(str(k).removesuffix(".$") in _DATA_KEYS or _data_locations(v, depth + 1) for k, v in params.items())
    if isinstance(params, list):
        return any(_data_locations(v, depth + 1) for v in params)
    return isinstance(params, str) and params.startswith("s3://")


def _data_line(index: FileIndex, path: str, start: int) -> int:
    """The first line at or after a state's own line that names where its data is (``"S3Uri": ...``)."""
    lines = (index.text(path) or "").splitlines()
    for i in range(max(start - 1, 0), min(len(lines), start + 200)):
        if _DATA_LINE.search(lines[i][:300]) and ("s3://" in lines[i] or '"S3Uri' in lines[i] or '"S3OutputPath' in lines[i]):
            return i + 1
    return start


def _output_line(index: FileIndex, path: str, start: int) -> int:
    """The ``"S3OutputPath"`` line of the training task at ``start`` (where the model goes, not its input channels)."""
    lines = (index.text(path) or "").splitlines()
    for i in range(max(start - 1, 0), min(len(lines), start + 200)):
        if '"S3OutputPath' in lines[i]:
            return i + 1
    return start
