"""The normalised CI model: one small repository per system, read through ``ci_model``."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

from mlscan.ci import CiJob, ci_model, shell_flow, split_commands
from mlscan.index import FileIndex
from mlscan.target import resolve_target

from tests.conftest import git_repo


def index_of(tmp_path: Path, files: dict[str, str], subdir: str = "") -> FileIndex:
    root = git_repo(tmp_path / "repo", {rel: dedent(text).lstrip("\n") for rel, text in files.items()}, commit=False)
    return FileIndex(resolve_target(str(root / subdir) if subdir else str(root)))


def jobs(ix: FileIndex, system: str) -> dict[str, CiJob]:
    return {j.name: j for j in ci_model(ix).jobs if j.system == system}


def commands(job: CiJob) -> list[str]:
    return [c for _, c in job.commands()]


# ------------------------------------------------------------------ shell semantics


def test_shell_flow_without_errexit_only_last_command_counts() -> None:
    flow = shell_flow("pytest tests/ > out.txt\ncat out.txt", strict=False)
    assert [(c.text, c.blocks, c.ignored) for c in flow] == [("pytest tests/ > out.txt", False, False), ("cat out.txt", True, False)]
    assert all(c.blocks for c in shell_flow("set -e\npytest\ncat out.txt", strict=False)[1:])
    assert shell_flow("#!/bin/bash -e\npytest\necho done", strict=False)[0].blocks


def test_shell_flow_swallowed_and_checked_failures() -> None:
    flow = shell_flow("pytest || true\nset +e\npytest tests/model\necho ok", strict=True)
    assert not flow[0].blocks and flow[0].ignored
    assert not flow[2].blocks and flow[2].ignored
    checked = shell_flow("python test_docker.py\nERROR_CODE=$?\necho done", strict=False)
    assert checked[0].blocks
    assert not shell_flow("pytest | tee log.txt", strict=True)[0].blocks
    assert shell_flow("set -o pipefail\npytest | tee log.txt", strict=True)[1].blocks


def test_split_commands_skips_heredoc_bodies_and_comments() -> None:
    script = "cat <<EOF > report.md\n# Report\ndvc metrics diff\nEOF\n# kubectl apply -f k8s\ncml comment create report.md"
    assert split_commands(script) == ["cat <<EOF > report.md", "cml comment create report.md"]


# ------------------------------------------------------------------ GitHub Actions


def test_github_subdir_targeting_and_nested_workflows(tmp_path: Path) -> None:
    ix = index_of(tmp_path, {
        ".github/workflows/a.yml": """
            on:
              pull_request:
                paths: ['svc/**']
            jobs:
              test:
                runs-on: ubuntu-latest
                steps:
                  - run: pytest
        """,
        ".github/workflows/b.yml": """
            on: push
            jobs:
              deploy:
                runs-on: ubuntu-latest
                steps:
                  - working-directory: svc/infra
                    run: terraform apply -auto-approve
              other:
                runs-on: ubuntu-latest
                steps:
                  - run: make -C web build
        """,
        "svc/.github/workflows/c.yml": "on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: pytest\n",
        "svc/app.py": "print('hi')\n",
        "web/app.js": "console.log(1)\n",
    }, subdir="svc")
    found = jobs(ix, "github")
    assert set(found) == {"test", "deploy", "other"}  # svc/.github is not the repository's CI
    assert found["test"].applies and found["deploy"].applies and not found["other"].applies
    assert found["deploy"].steps[0].cwd == "svc/infra"


# ------------------------------------------------------------------ GitLab


def test_gitlab_rules_manual_allow_failure_extends_and_includes(tmp_path: Path) -> None:
    ix = index_of(tmp_path, {
        ".gitlab-ci.yml": """
            include:
              - local: ci/train.yml
            .py:
              image: python:3.11
              before_script:
                - pip install -r requirements.txt
            test:
              extends: .py
              allow_failure: true
              script:
                - pytest
            deploy:
              stage: deploy
              environment: {name: production}
              when: manual
              script:
                - !reference [.py, before_script]
                - helm upgrade --install api chart/
            lint:
              rules:
                - when: never
              script: [ruff check .]
        """,
        "ci/train.yml": """
            retrain:
              rules:
                - if: '$CI_PIPELINE_SOURCE == "schedule"'
              script:
                - dvc repro
            docs:
              only: [schedules]
              script: [mkdocs build]
        """,
    })
    found = jobs(ix, "gitlab")
    assert set(found) == {"test", "deploy", "lint", "retrain", "docs"}
    assert commands(found["test"]) == ["pip install -r requirements.txt", "pytest"]
    assert not any(s.blocking for s in found["test"].steps)
    assert found["deploy"].manual and found["deploy"].gate == "manual" and found["deploy"].environment == "production"
    assert commands(found["deploy"]) == ["pip install -r requirements.txt", "helm upgrade --install api chart/"]
    assert found["lint"].disabled
    assert found["retrain"].triggers == {"schedule"} and found["retrain"].path == "ci/train.yml" and found["retrain"].schedule_line == 3
    assert found["docs"].triggers == {"schedule"}


# ------------------------------------------------------------------ Azure Pipelines


def test_azure_templates_parameters_schedules_and_gates(tmp_path: Path) -> None:
    ix = index_of(tmp_path, {
        ".pipelines/train.yml": """
            trigger: none
            pr: none
            schedules:
              - cron: "0 2 * * *"
                branches: {include: [main]}
            variables:
              - name: SRC
                value: ml
            stages:
              - stage: Build
                jobs:
                  - template: jobs/test-job.yml
                    parameters: {pythonVersion: "3.11"}
              - stage: Approve
                jobs:
                  - job: approval
                    pool: server
                    steps:
                      - task: ManualValidation@0
                        inputs: {instructions: Check the metrics}
              - stage: Deploy
                jobs:
                  - deployment: deploy_model
                    environment: prod
                    strategy:
                      runOnce:
                        deploy:
                          steps:
                            - task: AzureCLI@2
                              continueOnError: true
                              inputs:
                                scriptLocation: scriptPath
                                scriptPath: $(SRC)/deploy.sh
                                workingDirectory: $(Build.SourcesDirectory)/$(SRC)
        """,
        ".pipelines/jobs/test-job.yml": """
            parameters:
              - name: pythonVersion
                default: "3.10"
            jobs:
              - job: unit
                steps:
                  - script: |
                      pip install tox
                      tox -e py${{ parameters.pythonVersion }}
        """,
        "ml/deploy.sh": "az ml online-deployment create -f blue.yml\n",
    })
    found = jobs(ix, "azure")
    assert set(found) == {"unit", "approval", "deploy_model"}  # the job template is not a pipeline of its own
    unit = found["unit"]
    assert unit.path == ".pipelines/jobs/test-job.yml" and unit.stage == "Build"
    assert unit.triggers == {"schedule"} and unit.schedules == ("0 2 * * *",) and unit.schedule_line == 4
    assert commands(unit) == ["pip install tox", "tox -e py3.11"] and not unit.steps[0].strict
    assert found["approval"].gate == "manual-approval" and found["approval"].manual
    deploy = found["deploy_model"]
    assert deploy.environment == "prod"
    assert commands(deploy) == ["bash ml/deploy.sh"] and deploy.steps[0].cwd == "ml" and not deploy.steps[0].blocking


def test_azure_default_triggers_and_named_files(tmp_path: Path) -> None:
    ix = index_of(tmp_path, {
        "azure-pipelines.yml": "steps:\n  - bash: pytest\n",
        "infra/setup.yml": "trigger: none\njobs:\n  - job: init\n    steps:\n      - script: az group create -n rg\n",
        "conf/app.yml": "steps:\n  - name: not a pipeline\n",
    })
    found = jobs(ix, "azure")
    assert found["job"].triggers == {"push", "pull_request"}
    assert found["init"].triggers == {"manual"}
    assert len(found) == 2


# ------------------------------------------------------------------ Jenkins


def test_jenkins_stages_comments_input_and_cron(tmp_path: Path) -> None:
    ix = index_of(tmp_path, {"Jenkinsfile": """
        pipeline {
          agent any
          triggers { cron('H 2 * * *') }
          stages {
            stage('Test') {
              steps {
                // sh 'echo commented'
                sh 'pytest'  // unit tests
                /* sh 'kubectl apply -f k8s/' */
                catchError(buildResult: 'UNSTABLE') { sh "flake8" }
                sh(script: 'python check.py', returnStatus: true)
              }
            }
            stage('Approve') { steps { input message: 'Promote the model?' } }
            stage('Deploy') {
              steps {
                sh '''
                  helm upgrade --install api chart/
                '''
              }
            }
          }
        }
    """})
    found = jobs(ix, "jenkins")
    assert set(found) == {"Test", "Approve", "Deploy"}
    test = found["Test"]
    assert [(s.command, s.blocking) for s in test.steps] == [("pytest", True), ("flake8", False), ("python check.py", False)]
    assert test.steps[0].line == 8 and test.triggers == {"push", "schedule"} and test.schedules == ("H 2 * * *",)
    assert found["Approve"].gate == "input" and dict(found["Approve"].steps[0].with_)["message"] == "Promote the model?"
    assert commands(found["Deploy"]) == ["helm upgrade --install api chart/"]


def test_jenkins_groovy_pipeline_with_shared_library_steps(tmp_path: Path) -> None:
    """A pipeline kept in a ``*.groovy`` file whose stages call custom steps of the repository's shared library
    (``vars/<step>.groovy``): the stages run those steps' shell commands, cited where the library runs them. The
    library's step files and a Groovy helper class are no pipelines."""
    ix = index_of(tmp_path, {
        "jenkins/train_and_deploy.groovy": """
            @Library('mlops-shared') _

            pipeline {
              agent { label 'docker' }
              stages {
                stage('Train') {
                  steps {
                    sh 'python -m pipeline.train --config configs/train.yaml'
                  }
                }
                stage('Publish') {
                  steps {
                    pushModelImage(repository: 'churn-model', tag: env.GIT_COMMIT)
                  }
                }
                stage('Deploy') {
                  steps {
                    deployEndpoint(endpoint: 'churn-prod', image: "churn-model:${env.GIT_COMMIT}")
                  }
                }
              }
            }
        """,
        "vars/pushModelImage.groovy": """
            def call(Map args) {
              sh "docker build -t ${args.repository}:${args.tag} ."
              sh "docker push 123456789012.dkr.ecr.eu-west-1.amazonaws.com/${args.repository}:${args.tag}"
            }
        """,
        "vars/deployEndpoint.groovy": """
            def call(Map args) {
              sh "aws sagemaker update-endpoint --endpoint-name ${args.endpoint} --endpoint-config-name ${args.endpoint}-${BUILD_NUMBER}"
            }
        """,
        "src/org/mlops/Naming.groovy": """
            package org.mlops
            class Naming {
              static String stage(String name) { return "stage-" + name }
            }
        """,
    })
    found = jobs(ix, "jenkins")
    assert set(found) == {"Train", "Publish", "Deploy"}
    assert commands(found["Train"]) == ["python -m pipeline.train --config configs/train.yaml"]
    assert [c.split()[1] for c in commands(found["Publish"])] == ["build", "push"]
    deploy = found["Deploy"].steps[0]
    assert deploy.path == "vars/deployEndpoint.groovy" and deploy.line == 2 and "update-endpoint" in deploy.command
    assert found["Deploy"].path == "jenkins/train_and_deploy.groovy"
    from mlscan.engine import run_detectors
    from mlscan.plugins import load_detectors

    deploys = [f for f in run_detectors(ix, load_detectors({"ci.deploy"})) if f.signal == "deploy.automated"]
    assert [(f.evidence[0].path, f.attrs["active"]) for f in deploys] == [("vars/deployEndpoint.groovy", True)]


# ------------------------------------------------------------------ CircleCI, Bitbucket, Buildkite


def test_circleci_workflows_approval_and_schedule(tmp_path: Path) -> None:
    ix = index_of(tmp_path, {".circleci/config.yml": """
        version: 2.1
        commands:
          setup:
            steps:
              - run: pip install -r requirements.txt
        jobs:
          test:
            docker: [{image: cimg/python:3.11}]
            steps:
              - checkout
              - setup
              - run: {name: tests, command: pytest}
          train:
            docker: [{image: cimg/python:3.11}]
            steps:
              - run: python train.py
        workflows:
          ci:
            jobs:
              - test
              - hold: {type: approval, requires: [test]}
              - aws-ecs/deploy-service-update: {requires: [hold], family: api}
          nightly:
            triggers:
              - schedule: {cron: "0 4 * * *", filters: {branches: {only: [main]}}}
            jobs: [train]
    """})
    found = jobs(ix, "circleci")
    assert commands(found["test"]) == ["pip install -r requirements.txt", "pytest"]
    assert found["hold"].gate == "manual-approval"
    assert found["aws-ecs/deploy-service-update"].steps[0].uses == "aws-ecs/deploy-service-update"
    assert found["train"].triggers == {"schedule"} and found["train"].schedules == ("0 4 * * *",)


def test_bitbucket_sections_manual_steps_and_pipes(tmp_path: Path) -> None:
    ix = index_of(tmp_path, {"bitbucket-pipelines.yml": """
        pipelines:
          pull-requests:
            '**':
              - step: {name: test, script: [pytest]}
          branches:
            main:
              - step:
                  name: deploy
                  deployment: production
                  trigger: manual
                  script:
                    - pipe: atlassian/aws-ecs-deploy:1.6.0
                      variables: {CLUSTER_NAME: ml}
    """})
    found = jobs(ix, "bitbucket")
    assert found["test"].triggers == {"pull_request"}
    deploy = found["deploy"]
    assert deploy.gate == "manual" and deploy.environment == "production" and deploy.steps[0].uses == "atlassian/aws-ecs-deploy:1.6.0"


def test_buildkite_block_and_soft_fail(tmp_path: Path) -> None:
    ix = index_of(tmp_path, {".buildkite/pipeline.yml": """
        steps:
          - label: tests
            command: pytest
            soft_fail: true
          - wait
          - block: "Release to prod?"
          - label: deploy
            commands: [kubectl apply -f k8s/]
    """})
    found = jobs(ix, "buildkite")
    assert not found["tests"].steps[0].blocking
    assert found["Release to prod?"].gate == "block"
    assert commands(found["deploy"]) == ["kubectl apply -f k8s/"]


# ------------------------------------------------------------------ Cloud Build, AWS, Tekton, GitOps


def test_cloudbuild_commands_from_builders(tmp_path: Path) -> None:
    ix = index_of(tmp_path, {"cloudbuild.yaml": """
        steps:
          - name: gcr.io/cloud-builders/docker
            args: [build, -t, europe-docker.pkg.dev/p/r/api, .]
          - name: gcr.io/google.com/cloudsdktool/cloud-sdk
            entrypoint: bash
            args: [-c, "gcloud run deploy api --image europe-docker.pkg.dev/p/r/api"]
        images: [europe-docker.pkg.dev/p/r/api]
    """})
    (job,) = jobs(ix, "cloudbuild").values()
    assert commands(job) == ["docker build -t europe-docker.pkg.dev/p/r/api .", "gcloud run deploy api --image europe-docker.pkg.dev/p/r/api"]
    assert job.steps[-1].uses == "images"


def test_aws_buildspec_cloudformation_and_cdk(tmp_path: Path) -> None:
    ix = index_of(tmp_path, {
        "buildspec.yml": "version: 0.2\nphases:\n  build:\n    commands:\n      - pytest\n  post_build:\n    on-failure: CONTINUE\n    commands: [make report]\n",
        "infra/pipeline.yaml": """
            AWSTemplateFormatVersion: '2010-09-09'
            Resources:
              DeployProject:
                Type: AWS::CodeBuild::Project
                Properties:
                  Source:
                    Type: CODEPIPELINE
                    BuildSpec: |
                      version: 0.2
                      phases:
                        build:
                          commands:
                            - python deploy.py
              Pipeline:
                Type: AWS::CodePipeline::Pipeline
                Properties:
                  Stages:
                    - Name: Approve
                      Actions:
                        - Name: Review
                          ActionTypeId: {Category: Approval, Owner: AWS, Provider: Manual, Version: '1'}
                    - Name: Deploy
                      Actions:
                        - Name: DeployEndpoint
                          ActionTypeId: {Category: Build, Owner: AWS, Provider: CodeBuild, Version: '1'}
                          Configuration:
                            ProjectName: !Ref DeployProject
        """,
        "cdk/app.py": """
            from aws_cdk import aws_codebuild as codebuild
            from aws_cdk import pipelines

            synth = pipelines.ShellStep("Synth", commands=["pip install -r requirements.txt", "cdk synth"])
            gate = pipelines.ManualApprovalStep("PromoteToProd")
            spec = codebuild.BuildSpec.from_object({"phases": {"build": {"commands": ["python train.py"]}}})
        """,
    })
    build = next(j for j in ci_model(ix).jobs if j.system == "codebuild" and j.path == "buildspec.yml")
    assert [(s.command, s.blocking) for s in build.steps] == [("pytest", True), ("make report", False)]
    stages = {j.name: j for j in ci_model(ix).jobs if j.system == "codepipeline" and j.path == "infra/pipeline.yaml"}
    assert stages["Review"].gate == "manual-approval" and stages["Review"].stage == "Approve"
    assert "python deploy.py" in commands(stages["Deploy"])
    cdk = {j.name: j for j in ci_model(ix).jobs if j.path == "cdk/app.py"}
    assert cdk["PromoteToProd"].gate == "manual-approval"
    assert commands(cdk["Synth"]) == ["pip install -r requirements.txt", "cdk synth"]
    assert commands(cdk["buildspec"]) == ["python train.py"]


def test_cdk_typescript_app_pipeline(tmp_path: Path) -> None:
    ix = index_of(tmp_path, {
        "cdk.json": '{"app": "npx ts-node --prefer-ts-exts bin/app.ts"}',
        "bin/app.ts": """
            import * as cdk from 'aws-cdk-lib';
            import { DeployPipelineStack } from '../lib/deploy-pipeline-stack';

            const app = new cdk.App();
            new DeployPipelineStack(app, 'DeployPipelineStack');
        """,
        "lib/deploy-pipeline-stack.ts": """
            import * as cdk from 'aws-cdk-lib';
            import * as codebuild from 'aws-cdk-lib/aws-codebuild';
            import * as codepipeline_actions from 'aws-cdk-lib/aws-codepipeline-actions';
            import { pipelines } from 'aws-cdk-lib';

            export class DeployPipelineStack extends cdk.Stack {
              constructor(scope: cdk.App, id: string) {
                super(scope, id);
                // new codepipeline_actions.ManualApprovalAction({ actionName: 'Commented' });
                const approve = new codepipeline_actions.ManualApprovalAction({
                  actionName: 'DeployApproval',
                  notifyEmails: ['ml-team@example.com'],
                });
                const synth = new pipelines.ShellStep('Synth', { commands: ['npm ci', "npx cdk synth"] });
                const spec = codebuild.BuildSpec.fromObject({
                  version: '0.2',
                  phases: { build: { commands: ['python deploy-endpoint.py'] } },
                });
              }
            }
        """,
        # a construct library the app never imports is not synthesised
        "lib/patterns/release-pattern.ts": """
            import * as codepipeline_actions from 'aws-cdk-lib/aws-codepipeline-actions';
            export const gate = () => new codepipeline_actions.ManualApprovalAction({ actionName: 'Unused' });
        """,
    })
    cdk = {j.name: j for j in ci_model(ix).jobs if j.path.startswith("lib/")}
    assert set(cdk) == {"DeployApproval", "Synth", "buildspec"}
    assert cdk["DeployApproval"].gate == "manual-approval" and cdk["DeployApproval"].line == 10
    assert commands(cdk["Synth"]) == ["npm ci", "npx cdk synth"]
    assert commands(cdk["buildspec"]) == ["python deploy-endpoint.py"]


def test_tekton_and_argocd(tmp_path: Path) -> None:
    ix = index_of(tmp_path, {
        "tekton/task.yaml": """
            apiVersion: tekton.dev/v1
            kind: Task
            metadata: {name: run-tests}
            spec:
              steps:
                - name: pytest
                  image: python:3.11
                  script: |
                    pip install -r requirements.txt
                    pytest
            ---
            apiVersion: tekton.dev/v1
            kind: Pipeline
            metadata: {name: ci}
            spec:
              tasks:
                - name: tests
                  taskRef: {name: run-tests}
        """,
        "deploy/app.yaml": """
            apiVersion: argoproj.io/v1alpha1
            kind: Application
            metadata: {name: churn-api}
            spec:
              source: {repoURL: 'https://github.com/acme/churn', path: k8s}
              syncPolicy:
                automated: {prune: true}
        """,
    })
    (tk,) = jobs(ix, "tekton").values()
    assert tk.name == "ci/tests" and commands(tk) == ["pip install -r requirements.txt", "pytest"]
    (argo,) = jobs(ix, "argocd").values()
    assert argo.triggers == {"gitops"} and not argo.manual and dict(argo.steps[0].with_)["path"] == "k8s"


def test_gitops_reads_only_files_naming_an_application_or_a_flux_kind(tmp_path: Path) -> None:
    from mlscan.ci.gitops import parse_gitops

    ix = index_of(tmp_path, {
        "pipelines/train.yaml": """
            apiVersion: argoproj.io/v1alpha1
            kind: Workflow
            metadata: {generateName: train-}
            spec: {entrypoint: main}
        """,
        "deploy/apps.yaml": """
            apiVersion: argoproj.io/v1alpha1
            kind: ApplicationSet
            metadata: {name: models}
            spec:
              template:
                spec:
                  source: {repoURL: 'https://github.com/acme/models', path: serving}
                  syncPolicy: {automated: {}}
        """,
        "clusters/prod/release.yaml": """
            apiVersion: helm.toolkit.fluxcd.io/v2
            kind: HelmRelease
            metadata: {name: api}
            spec:
              chart: {spec: {chart: api}}
        """,
    })
    found = {(j.system, j.name, j.triggers) for j in parse_gitops(ix)}
    assert found == {("argocd", "models", frozenset({"gitops"})), ("flux", "api", frozenset({"gitops"}))}
    assert ("pipelines/train.yaml", "yaml") not in ix.parse_counts  # an Argo Workflow: no GitOps job, not parsed for one


def test_github_reusable_workflow_inherits_caller_triggers(tmp_path: Path) -> None:
    ix = index_of(tmp_path, {
        ".github/workflows/nightly.yml": """
            on:
              schedule:
                - cron: "0 5 * * *"
            jobs:
              call:
                uses: ./.github/workflows/train.yml
        """,
        ".github/workflows/train.yml": """
            on: workflow_call
            jobs:
              train:
                runs-on: ubuntu-latest
                steps:
                  - run: python train.py
        """,
    })
    train = jobs(ix, "github")["train"]
    assert "schedule" in train.triggers and train.schedules == ("0 5 * * *",) and train.schedule_line == 0


def test_malformed_definitions_do_not_break_the_model(tmp_path: Path) -> None:
    ix = index_of(tmp_path, {
        ".github/workflows/x.yml": "on: push\njobs: [1, 2]\n",
        ".github/workflows/y.yml": "on: push\njobs:\n  a:\n    steps: run\n  b: 3\n",
        ".gitlab-ci.yml": "include: {local: missing.yml}\njob: {script: 5, rules: bad, extends: [.a, .b], needs: {job: x}}\n.a: {extends: .b}\n.b: {extends: .a}\n",
        "azure-pipelines.yml": "trigger: 3\nstages: {a: b}\njobs: [x]\nsteps:\n  - template: self.yml\n",
        "self.yml": "steps:\n  - template: self.yml\n",
        "Jenkinsfile": "pipeline { stages { stage('a') { steps { sh 'unterminated\n } } \n",
        ".circleci/config.yml": "workflows: [1]\njobs: 2\n",
        "bitbucket-pipelines.yml": "pipelines: {default: 3, branches: [x]}\n",
        ".buildkite/pipeline.yml": "steps: [wait, {block: 1}, {command: null}]\n",
        "cloudbuild.yaml": "steps: [{args: 3}]\n",
        "buildspec.yml": "phases: {build: {commands: {a: 1}}}\n",
    })
    ci_model(ix)
    assert not [w for w in ix.warnings if w.code == "ci-parse"]


def test_argv_fast_path_equals_shlex() -> None:
    """ci.argv splits plain commands without shlex: the words must be shlex's (comments dropped) for any text."""
    import random
    import shlex
    import string

    from mlscan.ci import argv

    def reference(command: str) -> list[str]:
        try:
            return shlex.split(command, comments=True)
        except ValueError:
            return command.split()

    rng = random.Random(7)
    alphabet = string.ascii_letters + string.digits + " \t\n-_=./$;|&(){}[]*?~@%^+,:<>'\"\\#\x0b\x0c\x1féü"
    for _ in range(20_000):
        command = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 24)))
        assert argv(command) == reference(command), repr(command)
    assert argv("python train.py --epochs 3  # fast") == ["python", "train.py", "--epochs", "3"]


# ------------------------------------------------------------------ CI that cannot run from where it is

_WF = """
on: push
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - run: pytest
"""


def _not_run(ix: FileIndex) -> dict[str, str]:
    ci_model(ix)
    return {w.path or "": w.message for w in ix.warnings if w.code == "ci-not-run"}


def test_nested_workflows_are_named_in_a_warning_and_not_counted(tmp_path: Path) -> None:
    ix = index_of(tmp_path, {
        ".github/workflows/root.yml": _WF,
        "projects/churn/.github/workflows/ci.yml": _WF,
        "projects/churn/.github/workflows/train.yaml": _WF,
        "projects/churn/.gitlab-ci.yml": "test:\n  script: [pytest]\n",
        "projects/churn/bitbucket-pipelines.yml": "pipelines:\n  default:\n    - step: {script: [pytest]}\n",
        "projects/churn/.circleci/config.yml": "version: 2.1\njobs: {}\n",
        "examples/demo/.github/workflows/ci.yml": _WF,  # a sample: not the repository's CI, no warning
    })
    warned = _not_run(ix)
    assert set(warned) == {"projects/churn/.github/workflows", "projects/churn/.gitlab-ci.yml", "projects/churn/bitbucket-pipelines.yml",
                           "projects/churn/.circleci/config.yml"}
    gh = warned["projects/churn/.github/workflows"]
    assert "ci.yml, train.yaml" in gh and "GitHub Actions" in gh and "mlscan scan projects/churn --as-root" in gh
    assert "mlscan scan projects/churn --as-root" in warned["projects/churn/.circleci/config.yml"]
    assert {j.path for j in ci_model(ix).jobs} == {".github/workflows/root.yml"}


def test_subdirectory_scan_warns_about_its_own_workflows_and_as_root_counts_them(tmp_path: Path) -> None:
    files = {"README.md": "# mono\n", "svc/.github/workflows/ci.yml": _WF, "svc/train.py": "print(1)\n"}
    ix = index_of(tmp_path, files, subdir="svc")
    assert list(_not_run(ix)) == ["svc/.github/workflows/ci.yml"]  # one file: the warning points at it
    assert not ci_model(ix).jobs
    as_root = FileIndex(resolve_target(str(tmp_path / "repo" / "svc"), as_root=True))
    assert as_root.target.subdir == "" and as_root.target.remote_url is None
    assert _not_run(as_root) == {}
    assert [j.path for j in ci_model(as_root).jobs] == [".github/workflows/ci.yml"]


def test_gitlab_file_below_the_root_is_fine_when_the_root_pipeline_loads_it(tmp_path: Path) -> None:
    ix = index_of(tmp_path, {
        ".gitlab-ci.yml": "include:\n  - local: services/a/.gitlab-ci.yml\ntrigger-b:\n  trigger:\n    include: services/b/.gitlab-ci.yml\n",
        "services/a/.gitlab-ci.yml": "test-a:\n  script: [pytest]\n",
        "services/b/.gitlab-ci.yml": "test-b:\n  script: [pytest]\n",
        "services/c/.gitlab-ci.yml": "test-c:\n  script: [pytest]\n",
    })
    assert list(_not_run(ix)) == ["services/c/.gitlab-ci.yml"]


def test_cdk_deploy_of_a_typescript_app_that_creates_an_endpoint_is_a_serving_deploy(tmp_path: Path) -> None:
    from mlscan.facts.ci_vocab import iac_serving

    serving = index_of(tmp_path / "serving", {
        "lib/model-serving-stack.ts": """
            import * as sagemaker from '@aws-cdk/aws-sagemaker';
            export const endpoint = (scope: any) => new sagemaker.CfnEndpoint(scope, 'Endpoint', { endpointConfigName: 'churn' });
        """,
    })
    assert iac_serving(serving, "")
    storage = index_of(tmp_path / "storage", {
        "lib/storage-stack.ts": """
            import * as s3 from 'aws-cdk-lib/aws-s3';
            export const bucket = (scope: any) => new s3.Bucket(scope, 'Models');
        """,
    })
    assert not iac_serving(storage, "")


def test_github_pull_request_activity_types_that_carry_no_code_are_not_on_change(tmp_path: Path) -> None:
    flow = """
        on:
          pull_request:
            types: [{types}]
        jobs:
          {name}:
            runs-on: ubuntu-latest
            steps:
              - run: pytest
    """
    ix = index_of(tmp_path, {
        ".github/workflows/review.yml": flow.format(types="review_requested", name="review"),
        ".github/workflows/changes.yml": flow.format(types="opened, synchronize", name="changes"),
    })
    got = jobs(ix, "github")
    assert "pull_request" not in got["review"].triggers and "pull_request_activity" in got["review"].triggers
    assert "pull_request" in got["changes"].triggers


# ------------------------------------------------------------------ workflow files GitHub rejects


def test_github_workflow_with_secrets_in_an_if_runs_no_job(tmp_path: Path) -> None:
    """``secrets`` is not a context a job's or a step's ``if:`` may read: GitHub rejects the file, so no job of it runs
    (the job without the condition neither); the documented workaround (the secret mapped to ``env``) runs."""
    ix = index_of(tmp_path, {
        ".github/workflows/deploy.yml": """
            on: [push]
            jobs:
              build:
                runs-on: ubuntu-latest
                steps:
                  - run: docker build -t api .
              deploy:
                needs: build
                if: ${{ secrets.GCP_PROJECT != '' }}
                runs-on: ubuntu-latest
                steps:
                  - run: gcloud run deploy api --image=gcr.io/p/api
            """,
        ".github/workflows/step.yml": """
            on: [push]
            jobs:
              release:
                runs-on: ubuntu-latest
                steps:
                  - if: secrets.TOKEN
                    run: ./release.sh
            """,
        ".github/workflows/ok.yml": """
            on: [push]
            jobs:
              guarded:
                runs-on: ubuntu-latest
                env:
                  GCP_PROJECT: ${{ secrets.GCP_PROJECT }}
                steps:
                  - if: ${{ env.GCP_PROJECT != '' && !contains(github.ref, 'secrets.') }}
                    run: gcloud run deploy api --image=gcr.io/p/api
            """,
    })
    got = jobs(ix, "github")
    assert not got["build"].active and not got["deploy"].active and not got["release"].active
    assert got["guarded"].active


def test_github_self_hosted_runner_labels(tmp_path: Path) -> None:
    ix = index_of(tmp_path, {".github/workflows/ci.yml": """
        on: [push]
        jobs:
          a: {runs-on: self-hosted, steps: [{run: make}]}
          b: {runs-on: [self-hosted, linux, x64], steps: [{run: make}]}
          c: {runs-on: {group: gpus, labels: [Self-Hosted]}, steps: [{run: make}]}
          d: {runs-on: ubuntu-latest, steps: [{run: make}]}
        """})
    got = jobs(ix, "github")
    assert [got[n].self_hosted for n in "abcd"] == [True, True, True, False]


# ------------------------------------------------------------------ dialects imported when their files exist


def test_named_dialects_start_from_their_modules_own_globs() -> None:
    """A dialect in NAMED_DIALECTS is imported only when a file matches its globs there: they must be the globs its
    parser starts from (a parser finds nothing without such a file)."""
    from mlscan.ci import NAMED_DIALECTS, bitbucket, buildkite, circleci, gitlab, jenkins, semaphore

    own = {
        "gitlab": tuple(f"**/{n}" for n in gitlab.ROOT_FILES),
        "jenkins": jenkins.GLOBS + jenkins.GROOVY,
        "circleci": tuple(f"**/{n}" for n in circleci.ROOT_FILES),
        "bitbucket": tuple(f"**/{n}" for n in bitbucket.ROOT_FILES),
        "buildkite": buildkite.GLOBS,
        "semaphore": semaphore.GLOBS,
    }
    assert {k: v[2] for k, v in NAMED_DIALECTS.items()} == own
    assert all(getattr(__import__(f"mlscan.ci.{m}", fromlist=["x"]), p) for m, p, _ in NAMED_DIALECTS.values())


def test_a_dialect_is_imported_only_when_the_repository_holds_its_file(tmp_path: Path) -> None:
    import subprocess
    import sys

    child = (
        "import sys\n"
        "from mlscan.ci import ci_model\n"
        "from mlscan.index import FileIndex\n"
        "from mlscan.target import resolve_target\n"
        "model = ci_model(FileIndex(resolve_target(sys.argv[1])))\n"
        "print(sorted({j.system for j in model.jobs}), sorted(m for m in sys.modules if m.startswith('mlscan.ci.')))\n"
    )
    gitlab_ci = "test:\n  script:\n    - pytest\n"
    near = git_repo(tmp_path / "near", {"ci/gitlab-ci.yml": gitlab_ci, "config.yml": "jobs: {}\n", "Jenkins.md": "stage\n"})
    found = git_repo(tmp_path / "found", {".gitlab-ci.yml": gitlab_ci})

    def run(repo: Path) -> str:
        return subprocess.run([sys.executable, "-c", child, str(repo)], capture_output=True, text=True, check=True).stdout

    out = run(near)
    assert not any(f"mlscan.ci.{m}'" in out for m in ("gitlab", "jenkins", "circleci", "bitbucket", "buildkite", "semaphore")), out
    out = run(found)
    assert out.startswith("['gitlab']") and "'mlscan.ci.gitlab'" in out and "'mlscan.ci.jenkins'" not in out, out
