"""The causes of session 11's final blind evidence audits (issue #17, session 12): a reusable workflow's call cited
instead of the called workflow's deploy step, the opening line of a multi-line call whose deciding argument is below, a
build range ending before its commit tag, a bare list item of another job's trigger, a read instead of a step's typed
output, a template variant its default options delete, a README's test command before the set-up. Each case scans a
small repository and checks the first evidence item; near misses check the other way."""

from __future__ import annotations

from pathlib import Path

from .test_evidence_deciding import _lead, _scan

# ---------------------------------------------------------------- M2: a reusable workflow's deploy step, with its call

_CALLER = """\
    name: CI
    on:
      push:
        branches: [main]
    jobs:
      test:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - run: pytest tests/
      deploy:
        needs: test
        uses: ./.github/workflows/deploy.yml
        with:
          image_version: ${{ github.sha }}
    """

_CALLED_GITOPS = """\
    name: Deploy
    on:
      workflow_call:
        inputs:
          image_version:
            required: true
            type: string
    jobs:
      update:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
            with:
              repository: acme/infrastructure
              path: infrastructure
          - name: Set up git
            run: |
              git config --global user.name "ci"
          - name: Update infrastructure version
            run: |
              cd infrastructure
              chmod +x ./scripts/update_image.sh
              ./scripts/update_image.sh manifests/api.yaml ${{ inputs.image_version }}
          - name: Commit and push
            run: |
              cd infrastructure
              git commit -am "new image" && git push
    """


def test_m2_cites_the_called_workflows_deploy_step_with_its_call(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {".github/workflows/ci.yml": _CALLER, ".github/workflows/deploy.yml": _CALLED_GITOPS})
    assert qs["M2"]["answer"] == "yes"
    lead = qs["M2"]["evidence"][0]
    assert _lead(qs["M2"]) == (".github/workflows/deploy.yml", 23)
    assert "update_image.sh" in lead["snippet"]
    assert lead["chain"] == ["called from CI job .github/workflows/ci.yml:13"]
    assert (".github/workflows/ci.yml", 13) in [(e["path"], e["line"]) for e in qs["M2"]["evidence"]]


def test_m2_cites_a_called_workflows_kubectl_with_its_call(tmp_path: Path) -> None:
    called = """\
        on:
          workflow_call:
        jobs:
          rollout:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - name: Roll out
                run: |
                  echo "rolling out"
                  kubectl apply -f k8s/serving.yaml
        """
    qs = _scan(tmp_path, {".github/workflows/ci.yml": _CALLER, ".github/workflows/deploy.yml": called,
                          "k8s/serving.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n"})
    assert qs["M2"]["answer"] == "yes"
    assert _lead(qs["M2"]) == (".github/workflows/deploy.yml", 11)
    assert qs["M2"]["evidence"][0]["chain"] == ["called from CI job .github/workflows/ci.yml:13"]


def test_m2_call_of_a_workflow_without_a_deploy_step_stays_at_its_uses_line(tmp_path: Path) -> None:
    called = """\
        on:
          workflow_call:
        jobs:
          notify:
            runs-on: ubuntu-latest
            steps:
              - name: Tell the team
                run: curl -X POST https://chat.example.com/hook -d "done"
        """
    qs = _scan(tmp_path, {".github/workflows/ci.yml": _CALLER, ".github/workflows/deploy.yml": called})
    assert _lead(qs["M2"]) == (".github/workflows/ci.yml", 13)
    assert qs["M2"]["evidence"][0]["chain"] == []


def test_m2_call_of_another_repositorys_workflow_stays_at_its_uses_line(tmp_path: Path) -> None:
    caller = _CALLER.replace("./.github/workflows/deploy.yml", "acme/shared/.github/workflows/deploy.yml@v1")
    qs = _scan(tmp_path, {".github/workflows/ci.yml": caller, ".github/workflows/deploy.yml": _CALLED_GITOPS})
    assert _lead(qs["M2"]) == (".github/workflows/ci.yml", 13)
