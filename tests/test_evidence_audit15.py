"""The causes of audit15's leads (issue #17, session 11, branch accuracy): the model's deploy step written as a shell
condition (``if timeout 2700s gcloud ai endpoints deploy-model ...; then``) went unseen, so an infrastructure
``terraform apply`` led M2; a registry upload was cited at the variable assignments opening its CI step. Each case scans a
small repository and checks the first evidence item; near misses check the other way."""

from __future__ import annotations

from pathlib import Path

from .test_evidence_deciding import _lead, _scan


def _workflow(script: str) -> str:
    body = "".join(f"          {ln}\n" for ln in script.splitlines())
    return ("name: deploy\non:\n  push:\n    branches: [main]\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps:\n"
            "      - uses: actions/checkout@v4\n      - name: Deploy model to endpoint\n        run: |\n" + body)


# ---------------------------------------------------------------- M2: a deploy command tested by ``if``

_DEPLOY_IF = """set -euo pipefail
MODEL_ID="${{ steps.upload.outputs.model_id }}"
if timeout 2700s gcloud ai endpoints deploy-model "$ENDPOINT_ID" \\
      --region="$REGION" \\
      --model="$MODEL_ID"; then
  echo "deployed"
else
  exit 1
fi
"""


def test_m2_sees_a_deploy_command_run_as_an_if_condition(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {".github/workflows/deploy.yml": _workflow(_DEPLOY_IF)})
    assert qs["M2"]["answer"] == "yes"
    assert _lead(qs["M2"]) == (".github/workflows/deploy.yml", 14)
    assert "deploy-model" in qs["M2"]["evidence"][0]["snippet"]


def test_m2_an_if_condition_that_only_describes_the_endpoint_deploys_nothing(tmp_path: Path) -> None:
    script = _DEPLOY_IF.replace("deploy-model", "describe").replace('--model="$MODEL_ID"', "--format=json")
    qs = _scan(tmp_path, {".github/workflows/deploy.yml": _workflow(script)})
    assert qs["M2"]["answer"] != "yes"


# ---------------------------------------------------------------- T2: the upload command, not the assignments above it

_UPLOAD = """set -euo pipefail
MODEL_DISPLAY_NAME="iforest-${VERSION}"
MODEL_URI="gs://${MODEL_BUCKET}/${MODEL_NAME}/${VERSION}"
echo "Uploading from ${MODEL_URI}"
MODEL_JSON=$(gcloud ai models upload \\
  --region="${REGION}" \\
  --display-name="${MODEL_DISPLAY_NAME}" \\
  --artifact-uri="${MODEL_URI}" \\
  --format=json)
"""


def test_t2_of_a_ci_upload_cites_the_upload_command_not_the_assignments_opening_the_step(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {".github/workflows/deploy.yml": _workflow(_UPLOAD)})
    assert qs["T2"]["answer"] == "yes"
    assert _lead(qs["T2"]) == (".github/workflows/deploy.yml", 16)
    assert "gcloud ai models upload" in qs["T2"]["evidence"][0]["snippet"]


def test_t2_of_a_step_opening_with_the_upload_keeps_that_line(tmp_path: Path) -> None:
    script = 'gcloud ai models upload --region=us-central1 --display-name=m --artifact-uri="gs://b/m"\n'
    qs = _scan(tmp_path, {".github/workflows/deploy.yml": _workflow(script)})
    assert qs["T2"]["answer"] == "yes"
    assert _lead(qs["T2"]) == (".github/workflows/deploy.yml", 12)


# ---------------------------------------------------------------- D3: a step's input bound to an earlier output

_AML_PIPELINE = """\
    from azure.ai.ml import Input, load_component
    from azure.ai.ml.dsl import pipeline

    prep_component = load_component(source="components/prep.yml")
    train_component = load_component(source="components/train.yml")


    @pipeline()
    def churn_training_pipeline(raw_data: Input, gate: bool = True):
        validate_job = prep_component(raw_data=raw_data)
        prep_job = prep_component(
            raw_data=raw_data,
            summary=validate_job.outputs.summary
            if gate
            else None,
        )
        train_job = train_component(
            processed_data=prep_job.outputs.processed_data,
        )
        outputs = {
            "summary": validate_job.outputs.summary,
            "model_output": train_job.outputs.model_output,
        }
        return outputs
    """


def test_d3_of_an_azure_ml_pipeline_cites_a_steps_input_bound_to_an_earlier_output(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"pipelines/train_pipeline.py": _AML_PIPELINE})
    assert qs["D3"]["answer"] == "yes"
    # the unconditional edge, not the returned outputs mapping nor the input bound only when a flag says so
    assert _lead(qs["D3"]) == ("pipelines/train_pipeline.py", 18)
    assert qs["D3"]["evidence"][0]["snippet"].startswith("processed_data=prep_job.outputs.processed_data")


def test_d3_of_an_azure_ml_pipeline_with_only_a_conditional_edge_cites_it(tmp_path: Path) -> None:
    text = _AML_PIPELINE.replace("processed_data=prep_job.outputs.processed_data", "processed_data=raw_data")
    qs = _scan(tmp_path, {"pipelines/train_pipeline.py": text})
    assert qs["D3"]["answer"] == "yes"
    assert _lead(qs["D3"]) == ("pipelines/train_pipeline.py", 13)


# ---------------------------------------------------------------- E4: the runtime lock before a dev-tooling lock

_COMPILED = "#\n# This file is autogenerated by pip-compile with Python 3.11\n#    pip-compile {src}\n#\n"


def test_e4_leads_with_the_runtime_lock_before_a_compiled_dev_tooling_lock(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {
        "dev-requirements.txt": _COMPILED.format(src="dev-requirements.in") + "black==25.11.0\nmypy==1.13.0\nruff==0.8.0\n",
        "requirements.txt": _COMPILED.format(src="requirements.in") + "mlflow==2.17.0\nscikit-learn==1.5.2\n",
        "Dockerfile": "FROM python:3.11-slim\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n"})
    assert qs["E4"]["answer"] == "yes"
    assert _lead(qs["E4"]) in {("requirements.txt", 5), ("Dockerfile", 1), ("Dockerfile", 3)}
    assert "dev-requirements.txt" in [e["path"] for e in qs["E4"]["evidence"]]


def test_e4_with_only_a_compiled_dev_tooling_lock_still_cites_it(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"dev-requirements.txt": _COMPILED.format(src="dev-requirements.in") + "black==25.11.0\nruff==0.8.0\n"})
    assert _lead(qs["E4"]) == ("dev-requirements.txt", 5)


# ---------------------------------------------------------------- T1: a Japanese README's set-up section

_JA_README = """\
    # 異常検知パイプライン

    ## {heading}

    1. **GCP プロジェクト作成 & 認証**

       ```bash
       gcloud init
       gcloud auth application-default login
       ```

    2. **Terraform でインフラ構築**

       ```bash
       cd terraform
       make init WORKSPACE=dev INIT_FLAGS=-upgrade
       make apply
       ```
    """
_TEST_MAKEFILE = "test:  ## テスト\n\tpytest -v -m 'not integration'\n\ntest-all:  ## すべてのテストを実行\n\tENABLE_INTEGRATION_TESTS=true pytest -v\n"


def test_t1_leads_with_a_japanese_readmes_setup_section_before_a_makefile_test_target(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"README.md": _JA_README.format(heading="セットアップ手順（概要）"), "Makefile": _TEST_MAKEFILE,
                          "terraform/Makefile": "init:\n\tterraform init\n\napply:\n\tterraform apply\n"})
    assert qs["T1"]["answer"] == "yes"
    assert _lead(qs["T1"]) == ("README.md", 8)


def test_t1_a_japanese_heading_naming_the_architecture_is_no_setup_section(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"README.md": _JA_README.format(heading="アーキテクチャ"), "Makefile": _TEST_MAKEFILE,
                          "terraform/Makefile": "init:\n\tterraform init\n\napply:\n\tterraform apply\n"})
    assert qs["T1"]["evidence"][0]["path"] != "README.md"
