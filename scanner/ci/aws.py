"""AWS CodeBuild and CodePipeline: ``buildspec*.yml`` files, ``AWS::CodePipeline::Pipeline`` and
``AWS::CodeBuild::Project`` resources in CloudFormation (YAML or JSON), and CDK apps in Python (read with
``ast``) or TypeScript/JavaScript (read with ``mlscan.facts.typescript``): ``ManualApprovalAction``/``ManualApprovalStep``,
``ShellStep``/``CodeBuildStep`` commands, ``codebuild.BuildSpec.from_object``/``fromObject`` commands, deploy actions;
``aws_codepipeline`` resources in Terraform (``stage { action { category provider configuration } }``).

Manual approval actions are human gates; ``on-failure: CONTINUE`` phases do not block.
"""

from __future__ import annotations

import ast
import re
from typing import Any

from ..facts import hcl
from ..facts.pyast import walk
from ..facts.typescript import in_cdk_app, matching_end, prop, split_top, strings, ts_file
from ..index import FileEntry, FileIndex
from ..index.formats import LineList, load_yaml_all
from .model import CiJob, CiStep, as_dict, as_list, line_of, make_step, script_items, targets_subdir

BUILDSPECS = ("**/*buildspec*.yml", "**/*buildspec*.yaml", "**/buildspecs/*.yml", "**/buildspecs/*.yaml")
TEMPLATES = ("**/*.yml", "**/*.yaml", "**/*.json", "**/*.template")
CFN_NEEDLES = (b"AWS::CodePipeline::Pipeline", b"AWS::CodeBuild::Project")
PHASES = ("install", "pre_build", "build", "post_build")
CDK_DEPLOY_ACTIONS = frozenset(
    {"EcsDeployAction", "CodeDeployServerDeployAction", "CodeDeployEcsDeployAction", "CloudFormationCreateUpdateStackAction",
     "CloudFormationCreateReplaceChangeSetAction", "CloudFormationExecuteChangeSetAction", "ElasticBeanstalkDeployAction",
     "S3DeployAction", "LambdaInvokeAction", "StepFunctionInvokeAction", "CodeBuildAction"}
)


def parse_aws(index: FileIndex) -> list[CiJob]:
    jobs: list[CiJob] = []
    for e in index.select(BUILDSPECS):
        for doc in index.yaml(e.path):
            if isinstance(doc, dict) and isinstance(doc.get("phases"), dict):
                jobs.append(_job(index, e, "codebuild", line_of(doc, "phases") or 1, e.name, buildspec_steps(e.path, doc, 0), {"push"}))
    for e in index.select(TEMPLATES):
        if "buildspec" in e.name or not index.mentions(e.path, CFN_NEEDLES):  # words: one read shared by all
            continue
        docs = [index.json(e.path)] if e.suffix == ".json" else index.yaml(e.path)
        for doc in docs:
            if isinstance(doc, dict) and isinstance(doc.get("Resources"), dict):
                jobs += _cloudformation(index, e, doc["Resources"])
    for e in index.select(("**/*.tf",)):
        if index.mentions(e.path, (b"aws_codepipeline",)):
            jobs += _terraform(index, e, hcl.parse(index.text(e.path) or ""))
    for e in index.select(("**/*.py", "**/*.ipynb")):  # python_files, with the byte check before the parse
        if index.mentions(e.path, (b"aws_cdk",)) and index.contains(e.path, (b"codepipeline", b"pipelines", b"codebuild")):
            tree = index.python(e.path)
            if tree is not None:
                jobs += _cdk(index, e, tree)
    for e in index.select(("**/*.ts", "**/*.js")):
        if not e.name.endswith(".d.ts") and index.mentions(e.path, (b"aws-cdk",)) \
                and index.contains(e.path, (b"codepipeline", b"pipelines", b"codebuild")) and in_cdk_app(index, e.path):
            jobs += _cdk_ts(index, e)
    return jobs


def buildspec_steps(path: str, spec: dict[str, Any], offset: int) -> list[CiStep]:
    out: list[CiStep] = []
    phases = as_dict(spec.get("phases"))
    for phase in PHASES:
        body = as_dict(phases.get(phase))
        blocking = str(body.get("on-failure", "ABORT")).upper() != "CONTINUE"
        for key in ("commands", "finally"):
            items = body.get(key)
            for cmd, line in script_items(items, line_of(body, key)):
                out.append(make_step(path, line + offset, phase, cmd, blocking=blocking and key == "commands"))
    return out


def _job(index: FileIndex, e: FileEntry, system: str, line: int, name: str, steps: list[CiStep], triggers: set[str],
         gate: str = "", stage: str = "", crons: tuple[str, ...] = (), sched_line: int = 0, needs: tuple[str, ...] = ()) -> CiJob:
    texts = [s.command for s in steps] + [v for s in steps for _, v in s.with_]
    return CiJob(
        system=system,
        path=e.path,
        line=line,
        name=name,
        steps=tuple(steps),
        triggers=frozenset(triggers | ({"manual"} if gate else set())),
        schedules=crons,
        manual=bool(gate),
        applies=e.scope == "project" or targets_subdir(index.target.subdir, *texts),
        stage=stage,
        gate=gate,
        needs=needs,
        schedule_line=sched_line,
    )


# ------------------------------------------------------------------ CloudFormation


def _ref(value: Any) -> str:
    if isinstance(value, dict):
        v = value.get("Ref") or value.get("Fn::GetAtt") or value.get("!Ref")
        return str(v[0] if isinstance(v, list) else v or "").split(".")[0]
    return str(value or "").split(".")[0]


def _cloudformation(index: FileIndex, e: FileEntry, resources: dict[str, Any]) -> list[CiJob]:
    jobs: list[CiJob] = []
    projects: dict[str, list[CiStep]] = {}
    for rid, res in resources.items():
        if isinstance(res, dict) and res.get("Type") == "AWS::CodeBuild::Project":
            source = as_dict(as_dict(res.get("Properties")).get("Source"))
            projects[str(rid)] = _project_steps(index, e, source)
    schedules: dict[str, tuple[str, int]] = {}
    for res in resources.values():
        props = as_dict(as_dict(res).get("Properties"))
        if as_dict(res).get("Type") == "AWS::Events::Rule" and props.get("ScheduleExpression"):
            for t in as_list(props.get("Targets")):
                schedules[_ref(as_dict(t).get("Arn"))] = (str(props["ScheduleExpression"]), line_of(props, "ScheduleExpression"))
    for rid, res in resources.items():
        if not isinstance(res, dict) or res.get("Type") != "AWS::CodePipeline::Pipeline":
            continue
        cron, sched_line = schedules.get(str(rid), ("", 0))
        triggers = {"push"} | ({"schedule"} if cron else set())
        stages = as_dict(res.get("Properties")).get("Stages")
        for i, st in enumerate(as_list(stages)):
            if not isinstance(st, dict):
                continue
            steps: list[CiStep] = []
            name = str(st.get("Name", ""))
            actions = st.get("Actions")
            for j, act in enumerate(as_list(actions)):
                act = as_dict(act)
                aline = actions.line_of(j) if isinstance(actions, LineList) else line_of(act)
                kind = as_dict(act.get("ActionTypeId"))
                category, provider = str(kind.get("Category", "")), str(kind.get("Provider", ""))
                config = as_dict(act.get("Configuration"))
                step = make_step(e.path, aline, str(act.get("Name", "")), "", uses=f"codepipeline:{category}:{provider}",
                                 with_=tuple((str(k), _ref(v) if isinstance(v, dict) else str(v)) for k, v in config.items()))
                if category == "Approval":  # a gate of its own: the stage's other actions are not manual
                    jobs.append(_job(index, e, "codepipeline", aline, step.name, [step], triggers, "manual-approval", name))
                    continue
                steps.append(step)
                if provider == "CodeBuild":
                    steps += projects.get(_ref(config.get("ProjectName")), [])
            line = stages.line_of(i) if isinstance(stages, LineList) else line_of(st)
            if steps:
                jobs.append(_job(index, e, "codepipeline", line, name, steps, triggers, "", name, (cron,) if cron else (), sched_line))
    return jobs


_TF_CONFIG = re.compile(r'"?([A-Za-z_][\w-]*)"?\s*[=:]\s*(?:"([^"]*)"|([^\s,{}"]+))')


def _terraform(index: FileIndex, e: FileEntry, blocks: list[hcl.Block]) -> list[CiJob]:
    """``resource "aws_codepipeline"`` blocks: each ``stage`` a job, each ``category = "Approval"`` action a gate job
    that the later stages' jobs need (emitted only when a later stage has actions to gate)."""
    jobs: list[CiJob] = []
    for res in blocks:
        if res.type != "resource" or res.labels[:1] != ("aws_codepipeline",):
            continue
        gates: list[CiJob] = []
        for st in res.children("stage"):
            name = str(st.get("name", ""))
            steps: list[tuple[CiStep, Any]] = []
            approvals: list[tuple[CiJob, Any]] = []
            for act in st.children("action"):
                category, provider = str(act.get("category", "")), str(act.get("provider", ""))
                config = tuple((m.group(1), m.group(2) if m.group(2) is not None else m.group(3))
                               for m in _TF_CONFIG.finditer(str(act.get("configuration", ""))))
                step = make_step(e.path, act.line, str(act.get("name", "")), "", uses=f"codepipeline:{category}:{provider}", with_=config)
                order = act.get("run_order", 1)
                if category == "Approval":
                    approvals.append((_job(index, e, "codepipeline", act.line, step.name, [step], {"push"}, "manual-approval", name), order))
                else:
                    steps.append((step, order))
            last = max((o for _, o in steps if isinstance(o, int)), default=1)
            mine = gates + [g for g, o in approvals if isinstance(o, int) and o < last]  # run_order: an approval before the deploy
            if steps:
                jobs += [g for g in mine if all(g is not j for j in jobs)]
                jobs.append(_job(index, e, "codepipeline", st.line, name, [s for s, _ in steps], {"push"}, "", name,
                                 needs=tuple(g.name for g in mine)))
            gates += [g for g, _ in approvals]
    return jobs


def _project_steps(index: FileIndex, e: FileEntry, source: dict[str, Any]) -> list[CiStep]:
    spec = source.get("BuildSpec")
    if not isinstance(spec, str):
        return []
    if "\n" in spec:
        try:
            docs = load_yaml_all(spec)
        except ValueError:
            return []
        offset = line_of(source, "BuildSpec")
        return [s for d in docs if isinstance(d, dict) for s in buildspec_steps(e.path, d, offset)]
    hit = next((x for x in index.select((f"**/{spec.rsplit('/', 1)[-1]}",)) if x.vpath.endswith(spec)), None)
    return [s for d in index.yaml(hit.path) if isinstance(d, dict) for s in buildspec_steps(hit.path, d, 0)] if hit else []


# ------------------------------------------------------------------ CDK (Python)


def _tail(node: ast.AST) -> str:
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def _strings(node: ast.AST | None) -> list[str]:
    if isinstance(node, (ast.List, ast.Tuple)):
        return [x.value for x in node.elts if isinstance(x, ast.Constant) and isinstance(x.value, str)]
    return []


def _commands_in(node: ast.AST) -> list[tuple[str, int]]:
    """``"commands": [...]`` lists inside a ``BuildSpec.from_object`` dict literal."""
    out: list[tuple[str, int]] = []
    for n in walk(node):
        if isinstance(n, ast.Dict):
            for k, v in zip(n.keys, n.values):
                if isinstance(k, ast.Constant) and k.value in ("commands", "finally") and v is not None:
                    out += [(s, getattr(v, "lineno", n.lineno)) for s in _strings(v)]
    return out


def _cdk(index: FileIndex, e: FileEntry, tree: ast.Module) -> list[CiJob]:
    jobs: list[CiJob] = []
    for node in walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _tail(node.func)
        label = next((a.value for a in node.args[:1] if isinstance(a, ast.Constant) and isinstance(a.value, str)), "")
        kw = {k.arg: k.value for k in node.keywords if k.arg}
        label = label or next((v.value for k, v in kw.items() if k in ("action_name", "stage_name") and isinstance(v, ast.Constant)), name)
        if name in ("ManualApprovalAction", "ManualApprovalStep"):
            step = make_step(e.path, node.lineno, str(label), "", uses=f"cdk:{name}")
            jobs.append(_job(index, e, "codepipeline", node.lineno, str(label), [step], {"push"}, "manual-approval"))
        elif name in ("ShellStep", "CodeBuildStep"):
            cmds = [*_strings(kw.get("install_commands")), *_strings(kw.get("commands"))]
            steps = [make_step(e.path, node.lineno, str(label), c) for c in cmds]
            if steps:
                jobs.append(_job(index, e, "codepipeline", node.lineno, str(label), steps, {"push"}))
        elif name == "from_object" and _tail(getattr(node.func, "value", node)) == "BuildSpec" and node.args:
            steps = [make_step(e.path, ln, "buildspec", c) for c, ln in _commands_in(node.args[0])]
            if steps:
                jobs.append(_job(index, e, "codebuild", node.lineno, "buildspec", steps, {"push"}))
        elif name in CDK_DEPLOY_ACTIONS:
            step = make_step(e.path, node.lineno, str(label), "", uses=f"cdk:{name}")
            jobs.append(_job(index, e, "codepipeline", node.lineno, str(label), [step], {"push"}))
    return jobs


# ------------------------------------------------------------------ CDK (TypeScript/JavaScript)


def _cdk_ts(index: FileIndex, e: FileEntry) -> list[CiJob]:
    """The same constructs as :func:`_cdk`, written ``new codepipeline_actions.ManualApprovalAction({actionName: ...})``,
    ``new pipelines.ShellStep('Synth', {commands: [...]})``, ``codebuild.BuildSpec.fromObject({... commands: [...]})``."""
    f = ts_file(index, e)
    if f is None or not f.cdk():
        return []
    jobs: list[CiJob] = []
    for n in f.news:
        props = n.props()
        label = next((s for a in n.args[:2] for s in strings(a) if a.startswith(("'", '"', "`"))), "")
        label = label or next((s for k in ("actionName", "stageName") for s in strings(prop(props, k) or "")), n.tail)
        if n.tail in ("ManualApprovalAction", "ManualApprovalStep"):
            step = make_step(e.path, n.line, label, "", uses=f"cdk:{n.tail}")
            jobs.append(_job(index, e, "codepipeline", n.line, label, [step], {"push"}, "manual-approval"))
        elif n.tail in ("ShellStep", "CodeBuildStep"):
            cmds = [c for k in ("installCommands", "commands") for c in _ts_string_list(prop(props, k))]
            steps = [make_step(e.path, n.line, label, c) for c in cmds]
            if steps:
                jobs.append(_job(index, e, "codepipeline", n.line, label, steps, {"push"}))
        elif n.tail in CDK_DEPLOY_ACTIONS:
            step = make_step(e.path, n.line, label, "", uses=f"cdk:{n.tail}")
            jobs.append(_job(index, e, "codepipeline", n.line, label, [step], {"push"}))
    for m in re.finditer(r"\bBuildSpec\s*\.\s*fromObject\s*\(", f.code):
        body = f.code[m.end() - 1 : matching_end(f.code, m.end() - 1)]
        steps = [make_step(e.path, f.line_at(m.start() + off), "buildspec", c) for c, off in _ts_commands(body)]
        if steps:
            jobs.append(_job(index, e, "codebuild", f.line_at(m.start()), "buildspec", steps, {"push"}))
    return jobs


def _ts_string_list(value: str | None) -> list[str]:
    """The strings of an array literal ``['a', "b"]`` (other elements skipped)."""
    if not value or not value.startswith("["):
        return []
    return [strings(x)[0] for x in split_top(value[1:-1]) if x[:1] in "'\"`" and strings(x)]


def _ts_commands(body: str) -> list[tuple[str, int]]:
    """``commands: [...]``/``finally: [...]`` arrays anywhere inside a ``BuildSpec.fromObject`` literal, with offsets."""
    out: list[tuple[str, int]] = []
    for m in re.finditer(r"""\b(?:commands|finally|['"]commands['"]|['"]finally['"])\s*:\s*\[""", body):
        arr = body[m.end() - 1 : matching_end(body, m.end() - 1)]
        out += [(c, m.start()) for c in _ts_string_list(arr)]
    return out
