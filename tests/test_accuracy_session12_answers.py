"""Wrong answers of session 11's final blind samples (issue #13, session 12, part 1), fixed generally. Each case scans a
small repository written the way the platforms' own docs write it; the near miss checks the other way."""

from __future__ import annotations

from pathlib import Path

from .test_evidence_deciding import _scan

# ---------------------------------------------------------------- M3: a deploy cut from a tag that waits for no test

_TESTS = """\
    from app.model import predict


    def test_predict_returns_a_price():
        assert predict([1.0, 2.0]) > 0
    """
_MODEL = """\
    def predict(x):
        return sum(x) + 1.0
    """
_CI = """\
    name: CI
    on:
      {on}
    jobs:
      test:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - run: pip install pytest==8.2.0
          - run: pytest tests
    """
_CD = """\
    name: CD
    on:
      {on}
    jobs:
    {test}
      deploy:
        runs-on: ubuntu-latest
        needs: {needs}
        steps:
          - uses: actions/checkout@v4
          - uses: google-github-actions/auth@v2
            with:
              credentials_json: ${{{{ secrets.GCP_SA_KEY }}}}
          - uses: google-github-actions/deploy-cloudrun@v2
            with:
              service: price-api
              source: .
    """
# a test job in the deploy workflow (indented under ``jobs:`` once the whole file is dedented)
_CD_TEST = """  test:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - run: pip install pytest==8.2.0 && pytest tests"""
_BRANCH_PUSH = "push: {branches: [main]}\n      pull_request: {branches: [main]}"
_TAG_PUSH = "push: {tags: ['v*']}"


def _m3(tmp_path: Path, ci_on: str, cd_on: str, *, cd_test: bool = False, needs: str = "") -> str:
    cd = _CD.format(on=cd_on, test=_CD_TEST if cd_test else "", needs=f"[{needs}]" if needs else "[]")
    qs = _scan(tmp_path, {"app/__init__.py": "", "app/model.py": _MODEL, "tests/test_model.py": _TESTS,
                          ".github/workflows/ci.yml": _CI.format(on=ci_on), ".github/workflows/cd.yml": cd})
    assert qs["M2"]["answer"] == "yes"
    return str(qs["M3"]["answer"])


def test_a_tag_deploy_that_waits_for_no_test_is_not_gated(tmp_path: Path) -> None:
    # tests run on branch pushes and pull requests; the deploy runs on tag pushes, with no test of its own
    assert _m3(tmp_path, _BRANCH_PUSH, _TAG_PUSH) == "partial"


def test_a_release_event_deploy_that_waits_for_no_test_is_not_gated(tmp_path: Path) -> None:
    assert _m3(tmp_path, _BRANCH_PUSH, "release: {types: [published]}") == "partial"


def test_a_tag_deploy_needing_its_own_test_job_is_gated(tmp_path: Path) -> None:
    assert _m3(tmp_path, _BRANCH_PUSH, _TAG_PUSH, cd_test=True, needs="test") == "yes"


def test_a_tag_deploy_beside_its_own_unneeded_test_job_is_not_gated(tmp_path: Path) -> None:
    assert _m3(tmp_path, _BRANCH_PUSH, _TAG_PUSH, cd_test=True) == "partial"


def test_tests_that_also_run_on_the_tag_push_are_on_the_shipped_ref(tmp_path: Path) -> None:
    # an unfiltered push (branches and tags) or a push naming tags runs the tests on the tag that is deployed
    assert _m3(tmp_path, "push:\n      pull_request:", _TAG_PUSH) == "yes"


def test_tests_filtered_by_paths_only_run_on_tag_pushes(tmp_path: Path) -> None:
    # GitHub evaluates no path filter for a tag push
    assert _m3(tmp_path, "push: {paths: ['app/**', 'tests/**']}", _TAG_PUSH) == "yes"


def test_a_deploy_on_branch_pushes_beside_tests_of_the_same_ref_is_unchanged(tmp_path: Path) -> None:
    assert _m3(tmp_path, _BRANCH_PUSH, "push: {branches: [main]}") == "yes"


def test_a_deploy_run_after_the_test_workflow_is_linked(tmp_path: Path) -> None:
    assert _m3(tmp_path, _BRANCH_PUSH, "workflow_run: {workflows: [CI], types: [completed], branches: [main]}") == "yes"

