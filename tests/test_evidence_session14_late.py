"""E2 leads with its own deciding item, not E1's (issue #17, session 14, lateE2): a metric diff across commits run in CI
(``dvc metrics diff``) compares runs by itself and leads before a tracked run's metric and before the CML comment posting
it; a module that turns tracking on with ``autolog()`` and logs a metric by name is cited by E1 at the ``autolog()`` and by
E2 at the named metric. Near misses: a ``dvc metrics show`` (no diff) leaves the tracked metric leading; a run opened with
``start_run`` still leads E1 before the ``autolog()`` inside it."""

from __future__ import annotations

from pathlib import Path

from .test_evidence_deciding import _lead, _scan

_TRAIN = """\
    import mlflow
    from sklearn.linear_model import LogisticRegression


    def main(X, y):
        with mlflow.start_run():
            model = LogisticRegression().fit(X, y)
            mlflow.log_metric("accuracy", model.score(X, y))


    if __name__ == "__main__":
        main(None, None)
    """

_DVC = "stages:\n  train:\n    cmd: python src/train.py\n    deps: [src/train.py]\n    outs: [model.pkl]\n    metrics:\n      - metrics.json:\n          cache: false\n"


def _workflow(command: str) -> str:
    return ("on: [pull_request]\njobs:\n  train:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n"
            "      - name: Train\n        run: dvc repro\n      - name: Report\n        run: |\n"
            f"          {command} > report.md\n          cml comment create report.md\n")


def test_e2_leads_with_a_metric_diff_in_ci_before_the_tracked_runs_metric(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"src/train.py": _TRAIN, "dvc.yaml": _DVC,
                          ".github/workflows/train.yml": _workflow("dvc metrics diff --show-md main")})
    assert qs["E2"]["answer"] == "yes"
    lead = qs["E2"]["evidence"][0]
    assert lead["path"] == ".github/workflows/train.yml" and "dvc metrics diff" in lead["snippet"]
    assert _lead(qs["E1"])[0] != ".github/workflows/train.yml"  # E1 keeps its run


def test_e2_without_a_diff_leads_with_the_tracked_metric_not_a_metrics_show(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"src/train.py": _TRAIN, "dvc.yaml": _DVC,
                          ".github/workflows/train.yml": _workflow("dvc metrics show --md")})
    assert qs["E2"]["answer"] == "yes"
    assert _lead(qs["E2"]) == ("src/train.py", 8)
    assert 'log_metric("accuracy"' in qs["E2"]["evidence"][0]["snippet"]


_AUTOLOG = """\
    import mlflow
    from sklearn.linear_model import LinearRegression


    def train_model(X, y):
        mlflow.log_metric("train_samples", len(X))
        model = LinearRegression().fit(X, y)
        mlflow.log_metric("r2", model.score(X, y))
        return model


    def main():
        mlflow.autolog(log_models=False)
        train_model([[0.0], [1.0]], [0.0, 1.0])


    if __name__ == "__main__":
        main()
    """


def test_e1_leads_with_autolog_and_e2_with_the_metric_logged_by_name(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"src/train.py": _AUTOLOG, "README.md": "# Taxi\n\nTrain with `python src/train.py`.\n"})
    assert qs["E1"]["answer"] == "yes" and qs["E2"]["answer"] == "yes"
    assert _lead(qs["E1"]) == ("src/train.py", 13)
    assert "autolog" in qs["E1"]["evidence"][0]["snippet"]
    assert _lead(qs["E2"])[0] == "src/train.py" and "log_metric(" in qs["E2"]["evidence"][0]["snippet"]


def test_e1_leads_with_the_run_opened_before_an_autolog_inside_it(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"src/train.py": """\
        import mlflow
        from sklearn.linear_model import LinearRegression


        def main(X, y):
            with mlflow.start_run():
                mlflow.autolog()
                model = LinearRegression().fit(X, y)
                mlflow.log_metric("r2", model.score(X, y))


        if __name__ == "__main__":
            main(None, None)
        """, "README.md": "# Taxi\n\nTrain with `python src/train.py`.\n"})
    assert _lead(qs["E1"]) == ("src/train.py", 6)
    assert _lead(qs["E2"]) == ("src/train.py", 9)


def _zenml_step(decorator: str) -> str:
    return f"""\
        import mlflow
        from sklearn.linear_model import LogisticRegression
        from zenml import pipeline, step


        {decorator}
        def trainer(X, y) -> float:
            model = LogisticRegression().fit(X, y)
            acc = model.score(X, y)
            mlflow.log_metric("train_accuracy", acc)
            return acc


        @pipeline
        def training_pipeline():
            trainer([[0.0], [1.0]], [0, 1])


        if __name__ == "__main__":
            training_pipeline()
        """


def test_e1_leads_with_a_zenml_steps_experiment_tracker_and_e2_with_its_metric(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"src/train.py": _zenml_step('@step(\n            experiment_tracker="mlflow",\n        )'),
                          "README.md": "# Iris\n\nTrain with `python src/train.py`.\n"})
    assert qs["E1"]["answer"] == "yes" and qs["E2"]["answer"] == "yes"
    assert "experiment_tracker=" in qs["E1"]["evidence"][0]["snippet"]
    assert 'log_metric("train_accuracy"' in qs["E2"]["evidence"][0]["snippet"]


def test_a_zenml_step_naming_no_tracker_leaves_e1_on_the_metric(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"src/train.py": _zenml_step("@step(enable_cache=False)"),
                          "README.md": "# Iris\n\nTrain with `python src/train.py`.\n"})
    assert qs["E1"]["answer"] == "yes"
    assert 'log_metric("train_accuracy"' in qs["E1"]["evidence"][0]["snippet"]


def test_e2_leads_with_a_zenml_steps_metrics_before_a_copy_of_another_runs_lineage(tmp_path: Path) -> None:
    from .test_evidence_session14_audit18 import _zenml_repo

    qs = _scan(tmp_path, _zenml_repo())
    assert qs["E2"]["answer"] == "yes" and _lead(qs["E2"])[0] == "steps/all.py"
    assert "log_metadata(metadata=metrics" in qs["E2"]["evidence"][0]["snippet"]


def test_e2_near_miss_the_lineage_copy_alone_still_leads(tmp_path: Path) -> None:
    from .test_evidence_session14_audit18 import _zenml_repo

    qs = _scan(tmp_path, _zenml_repo(with_training=False))
    assert qs["E2"]["answer"] == "yes" and _lead(qs["E2"])[0] == "pipelines/champion_challenger.py"
