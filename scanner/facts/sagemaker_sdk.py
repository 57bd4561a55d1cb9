"""Where the SageMaker Python SDK keeps SageMaker Pipelines, in both of its layouts: version 2's ``sagemaker.workflow``
(steps, ``Pipeline``, conditions, parameters, the ``@step`` decorator of ``function_step``) and version 3's split into
``sagemaker.mlops.workflow`` (steps, ``Pipeline``, ``ConditionStep``, ``FailStep``, ``function_step.step``) and
``sagemaker.core.workflow`` (parameters, conditions, ``JsonGet``, properties). One table for every reader of a pipeline
module: a detector asks ``PIPELINE_MODULES`` instead of naming one version."""

from __future__ import annotations

PIPELINE_MODULES = ("sagemaker.workflow", "sagemaker.mlops.workflow", "sagemaker.core.workflow")
# the module of the ``@step`` decorator that makes a Python function a pipeline step (``function_step.step``), per version
FUNCTION_STEP_MODULES = ("sagemaker.workflow.function_step", "sagemaker.mlops.workflow.function_step")
