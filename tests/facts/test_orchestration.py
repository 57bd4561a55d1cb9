"""The small readers behind the orchestration detectors: HCL blocks and the gate-flag evaluator."""

from __future__ import annotations

import ast

from mlscan.facts import hcl
from mlscan.facts.orchestration import metric_compare, trainingish
from mlscan.facts.pyeval import Env


def test_hcl_skips_comments_and_strings() -> None:
    text = '''
# resource "aws_cloudwatch_event_rule" "old" {
/* resource "x" "y" { } */
resource "aws_cloudwatch_event_rule" "retrain" {
  name                = "${var.prefix}-retrain"  // trailing comment
  description         = "a { brace } in a string"
  schedule_expression = "cron(0 3 ? * MON *)"
  is_enabled          = false
  tags = { team = "ml" }
}
resource "aws_cloudwatch_event_target" "t" {
  rule = aws_cloudwatch_event_rule.retrain.name
  input = <<EOT
{"job": "train"}
EOT
  sagemaker_pipeline_target {
    pipeline_parameter_list {
      name = "Mode"
    }
  }
}
'''
    blocks = hcl.parse(text)
    assert [(b.type, b.labels) for b in blocks] == [
        ("resource", ("aws_cloudwatch_event_rule", "retrain")),
        ("resource", ("aws_cloudwatch_event_target", "t")),
    ]
    rule, target = blocks
    assert rule.line == 4
    assert rule.get("schedule_expression") == "cron(0 3 ? * MON *)"
    assert rule.line_of("schedule_expression") == 7
    assert rule.get("is_enabled") is False
    assert rule.get("description") == "a { brace } in a string"
    assert target.get("rule") == "aws_cloudwatch_event_rule.retrain.name"
    assert target.get("input") == '{"job": "train"}'
    assert target.children("sagemaker_pipeline_target")[0].blocks[0].get("name") == "Mode"


def _env(src: str, params: dict | None = None) -> tuple[Env, ast.Module]:
    tree = ast.parse(src)
    return Env(tree, params or {}), tree


def test_env_resolves_flags_from_defaults_and_callers() -> None:
    src = '''
dbutils.widgets.dropdown("run_mode", "disabled", ["disabled", "dry_run", "enabled"])
run_mode = dbutils.widgets.get("run_mode").lower()
dry_run = run_mode == "dry_run"
if not dry_run:
    raise err
'''
    env, tree = _env(src)
    test = tree.body[-1].test
    assert env.truth(test, 5) is True  # default "disabled" is not dry_run
    env, _ = _env(src, {"run_mode": "dry_run"})
    assert env.truth(test, 5) is False


def test_env_argparse_default_and_unknowns() -> None:
    src = '''
parser.add_argument("--allow_run_cancel", default="true")
args = parser.parse_args()
flag = args.allow_run_cancel
if flag.lower() == "true":
    run.parent.cancel()
if something_else:
    pass
'''
    env, tree = _env(src)
    assert env.truth(tree.body[3].test, 5) is True
    assert env.truth(tree.body[4].test, 7) is None


def test_vocabulary() -> None:
    assert trainingish("SageMakerTrainingOperator") and trainingish("python -m model.train")
    assert not trainingish("train_test_split", "X_train") and not trainingish("constraint")
    assert metric_compare(ast.parse("new_mse < prod_mse").body[0].value) is not None
    assert metric_compare(ast.parse("len(errors) > 0").body[0].value) is None
    assert metric_compare(ast.parse("drift_score > 0.3").body[0].value) is None
