"""Metric assertions in tests: a model held to a threshold is a gate; a metric's own unit test is not."""

from __future__ import annotations

import ast

import pytest
from mlscan.facts.gates import metric_assertion


@pytest.mark.parametrize("src", [
    # the trained model, loaded and scored
    'def test_acc():\n    model = joblib.load("models/model.joblib")\n    acc = accuracy_score(y, model.predict(X))\n    assert acc > 0.7\n',
    # metrics handed in by a fixture
    'def test_auc(trained_metrics):\n    assert trained_metrics["auc"] >= 0.8\n',
    'class T(unittest.TestCase):\n    def test_f1(self):\n        f1 = evaluate(load_model())["f1"]\n        self.assertGreater(f1, 0.75)\n',
    'assert metrics["rmse"] < 5.0\n',  # a module-level check
])
def test_model_held_to_a_threshold(src: str) -> None:
    assert metric_assertion(ast.parse(src)) is not None


@pytest.mark.parametrize("src", [
    # a sanity bound, on a metric computed from literal arrays (the metric's unit test)
    'class TestMetrics:\n    def test_rmsle(self):\n        y_true = np.array([3, 2, 7])\n        y_pred = np.array([2.5, 2, 8])\n'
    '        rmsle = np.sqrt(np.mean((np.log1p(y_true) - np.log1p(y_pred)) ** 2))\n        assert rmsle > 0\n',
    # a real bound, but still only the metric's code on values written in the test
    'def test_accuracy_helper():\n    acc = accuracy([1, 0, 1], [1, 0, 0])\n    assert acc < 0.7\n',
    # a well-formedness check on a model's loss
    'def test_loss(model):\n    loss = model.evaluate(X, y)\n    assert loss >= 0\n',
])
def test_not_a_gate(src: str) -> None:
    assert metric_assertion(ast.parse(src)) is None


def test_expansion_copy_is_a_deep_copy() -> None:
    from mlscan.facts.gates import _copy

    tree = ast.parse("ok = (acc >= best['acc'] - 0.01) and f1 > thresholds.get('f1', 0.8) and not [x for x in xs if x]\n")
    for node in ast.walk(tree):
        if isinstance(node, ast.expr) and not isinstance(node, ast.expr_context):
            got = _copy(node)
            assert ast.dump(got, include_attributes=True) == ast.dump(node, include_attributes=True)
            mine = {id(n) for n in ast.walk(node) if not isinstance(n, ast.expr_context)}
            assert not mine & {id(n) for n in ast.walk(got)}  # the rewrite of the copy leaves the tree as parsed
