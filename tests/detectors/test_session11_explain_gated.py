"""O4: an explainer used only behind ``try: import shap`` / ``except ImportError`` (or ``except Exception``) whose package
no dependency list, image, script or CI step installs is never run by the project as shipped: install-gated, weak.
Near misses: the same guarded use with the package declared (requirements, pyproject, conda) or pip-installed in the
image, and an unguarded use (a default install without it fails, so it is part of the project)."""

from __future__ import annotations

from pathlib import Path

import pytest
from mlscan.engine import run_detectors
from mlscan.index import FileIndex
from mlscan.plugins import load_detectors
from mlscan.target import resolve_target

from tests.conftest import git_repo

SERVE = '''import joblib
import pandas as pd
from fastapi import FastAPI

app = FastAPI()
model = joblib.load("model.joblib")


@app.post("/predict")
def predict(rows: list[dict], explain: bool = False) -> dict:
    X = pd.DataFrame(rows)
    resp = {"predictions": model.predict(X).tolist()}
    if explain:
        try:
            import shap
            explainer = shap.TreeExplainer(model)
            resp["explanations"] = explainer.shap_values(X).tolist()
        except Exception as e:  # shap not installed
            resp["explanations_error"] = str(e)
    return resp
'''
UNGUARDED = SERVE.replace("        try:\n            import shap\n", "        import shap\n        if True:\n").replace(
    "        except Exception as e:  # shap not installed\n            resp[\"explanations_error\"] = str(e)\n", "")
REQS = "scikit-learn==1.3.2\npandas==2.1.1\nfastapi==0.98.0\njoblib==1.3.2\n"
DOCKERFILE = "FROM python:3.11-slim\nCOPY src/requirements.txt .\nRUN pip install -r requirements.txt\nCOPY src /app/src\n" \
             "CMD [\"uvicorn\", \"serve:app\"]\n"


def _explain(tmp: Path, files: dict[str, str]) -> list[dict]:
    repo = git_repo(tmp, files, commit=False)  # type: ignore[arg-type]
    index = FileIndex(resolve_target(str(repo)))
    return [{**f.attrs, "strength": f.strength.name} for f in run_detectors(index, load_detectors({"explain.python"}))
            if f.signal == "explain.usage"]


def test_guarded_explainer_nothing_installs_is_install_gated(tmp_path: Path) -> None:
    found = _explain(tmp_path, {"src/serve.py": SERVE, "src/requirements.txt": REQS, "Dockerfile": DOCKERFILE})
    assert [(f["tool"], f.get("install_gated"), f["strength"]) for f in found] == [("shap", True, "WEAK")]


@pytest.mark.parametrize("extra", [
    {"src/requirements.txt": REQS + "shap==0.44.0\n"},
    {"pyproject.toml": '[project]\nname = "svc"\nversion = "0.1"\ndependencies = ["shap>=0.44"]\n'},
    {"environment.yml": "name: svc\ndependencies:\n  - python=3.11\n  - pip:\n    - shap==0.44.0\n"},
    {"Dockerfile": DOCKERFILE.replace("COPY src /app", "RUN pip install --no-cache-dir shap==0.44.0\nCOPY src /app")},
])
def test_guarded_explainer_the_project_installs_counts(tmp_path: Path, extra: dict[str, str]) -> None:
    files = {"src/serve.py": SERVE, "src/requirements.txt": REQS, "Dockerfile": DOCKERFILE, **extra}
    found = [f for f in _explain(tmp_path, files) if not f["declared_only"]]
    assert [(f["tool"], f.get("install_gated"), f["strength"]) for f in found] == [("shap", None, "MEDIUM")]


def test_unguarded_explainer_counts_without_a_declaration(tmp_path: Path) -> None:
    found = _explain(tmp_path, {"src/serve.py": UNGUARDED, "src/requirements.txt": REQS})
    assert [(f["tool"], f.get("install_gated")) for f in found] == [("shap", None)]
