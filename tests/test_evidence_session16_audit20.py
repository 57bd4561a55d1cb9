"""The causes of audit20's leads not shown and its wrong answers (issue #17, session 16), fixed generally. Each case scans a
small repository and checks the answer and its first evidence item; each near miss checks the other way.

- E2: a metric line far from the call naming the experiment its runs are filed under names that call beside it (runs side
  by side, E2's requirement over E1's one run); in view, or with no experiment named, nothing is added;
"""

from __future__ import annotations

from pathlib import Path

from .test_evidence_deciding import _lead, _scan

_README = "# Housing\n\nRun `python src/train.py`.\n"

# ---------------------------------------------------------------- E2: the experiment the metric's runs are filed under

_TRAIN = """\
    import mlflow
    import pandas as pd
    from sklearn.ensemble import RandomForestRegressor


    def train(path):
        mlflow.set_experiment("housing")
        with mlflow.start_run(run_name="rf"):
            df = pd.read_csv(path)
            X, y = df[["a", "b"]], df["price"]
            params = {"n_estimators": 200}
            mlflow.log_params(params)
            model = RandomForestRegressor(**params)
            model.fit(X, y)
            score = model.score(X, y)
            print("r2", score)
            mlflow.log_metric("r2", score)


    if __name__ == "__main__":
        train("data/train.csv")
    """


def test_e2_a_metric_far_from_its_experiment_names_the_experiment(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"src/train.py": _TRAIN, "README.md": _README})
    assert qs["E2"]["answer"] == "yes"
    lead = qs["E2"]["evidence"][0]
    assert _lead(qs["E2"]) == ("src/train.py", 17)  # the metric runs are compared by
    assert lead["context"] == "in the runs of mlflow.set_experiment('housing') (line 7)"
    assert qs["E1"]["evidence"][0]["context"] == ""  # E1's run opener is not annotated


def test_e2_an_experiment_in_view_or_unnamed_adds_nothing(tmp_path: Path) -> None:
    near = _TRAIN.replace('        mlflow.set_experiment("housing")\n', "").replace(
        '            print("r2", score)\n', '            mlflow.set_experiment("housing")\n')
    qs = _scan(tmp_path / "a", {"src/train.py": near, "README.md": _README})
    assert _lead(qs["E2"]) == ("src/train.py", 16)
    assert qs["E2"]["evidence"][0]["context"] == ""  # the call is one line above the metric: the report shows it
    unnamed = _TRAIN.replace('        mlflow.set_experiment("housing")\n', "")
    qs = _scan(tmp_path / "b", {"src/train.py": unnamed, "README.md": _README})
    assert qs["E2"]["answer"] == "yes"  # the answer does not depend on it
    assert qs["E2"]["evidence"][0]["context"] == ""  # the default experiment: nothing to name


def test_e2_a_project_keyword_names_the_group_an_unrelated_call_does_not(tmp_path: Path) -> None:
    wandb = """\
    import wandb
    import pandas as pd
    from sklearn.linear_model import Ridge


    def main():
        wandb.init(project="housing", config={"alpha": 1.0})
        df = pd.read_csv("data/train.csv")
        X, y = df[["a", "b"]], df["price"]
        model = Ridge(alpha=1.0)
        model.fit(X, y)
        score = model.score(X, y)
        print(score)
        wandb.log({"r2": score})


    if __name__ == "__main__":
        main()
    """
    qs = _scan(tmp_path / "a", {"src/train.py": wandb, "README.md": _README})
    lead = qs["E2"]["evidence"][0]
    assert (lead["path"], lead["line"]) == ("src/train.py", 14)
    assert lead["context"].startswith("in the runs of wandb.init(project='housing'")
    resumed = wandb.replace('wandb.init(project="housing", config={"alpha": 1.0})', 'wandb.init(config={"alpha": 1.0})')
    qs = _scan(tmp_path / "b", {"src/train.py": resumed, "README.md": _README})
    assert qs["E2"]["evidence"][0]["context"] == ""  # no project named here: the run's project is set elsewhere
