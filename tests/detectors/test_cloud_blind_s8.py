"""Recognisers found on a blind sample of cloud-platform repositories (issue #13): TFX pipelines assembled from
component factories in modules of their own, and the Google Cloud Pusher that deploys the blessed model. Each case
is scanned with and without the piece that makes it practice."""

from __future__ import annotations

from pathlib import Path

from mlscan.engine import run_detectors
from mlscan.index import FileIndex
from mlscan.plugins import load_detectors
from mlscan.target import resolve_target

from tests.conftest import git_repo

INGEST = '''from tfx.components import CsvExampleGen


def create_example_gen(input_base: str):
    return CsvExampleGen(input_base=input_base)
'''
TRAIN = '''from tfx.components import Trainer


def create_trainer(example_gen, module_file: str):
    return Trainer(module_file=module_file, examples=example_gen.outputs["examples"])
'''
TRAIN_FROM_PATH = '''from tfx.components import Trainer


def create_trainer(example_gen, module_file: str):
    return Trainer(module_file=module_file, custom_config={"data_root": "gs://bucket/data"})
'''
PIPELINE = '''from tfx.orchestration import pipeline

from components.ingest import create_example_gen
from components.train import create_trainer


def create_pipeline(name: str, root: str, data: str, module_file: str):
    example_gen = create_example_gen(data)
    trainer = create_trainer(example_gen, module_file)
    return pipeline.Pipeline(pipeline_name=name, pipeline_root=root, components=[example_gen, trainer])
'''
PUSHER = '''from tfx import v1 as tfx


def create_pusher(trainer, evaluator, region: str, endpoint: str):
    return tfx.extensions.google_cloud_ai_platform.Pusher(
        model=trainer.outputs["model"],
        model_blessing=evaluator.outputs["blessing"],
        custom_config={
            tfx.extensions.google_cloud_ai_platform.ENABLE_VERTEX_KEY: True,
            tfx.extensions.google_cloud_ai_platform.VERTEX_REGION_KEY: region,
            tfx.extensions.google_cloud_ai_platform.SERVING_ARGS_KEY: {"endpoint_name": endpoint},
        },
    )
'''
LOCAL_PUSHER = '''from tfx import v1 as tfx


def create_pusher(trainer, evaluator, serving_dir: str):
    return tfx.components.Pusher(
        model=trainer.outputs["model"],
        model_blessing=evaluator.outputs["blessing"],
        push_destination=tfx.proto.PushDestination(filesystem=tfx.proto.PushDestination.Filesystem(base_directory=serving_dir)),
    )
'''


def _found(tmp: Path, files: dict[str, str], signal: str) -> list[tuple[str, int | None, dict]]:
    repo = git_repo(tmp, files, commit=False)  # type: ignore[arg-type]
    index = FileIndex(resolve_target(str(repo)))
    return [(f.evidence[0].path, f.evidence[0].line, dict(f.attrs))
            for f in run_detectors(index, load_detectors({"tfx.pipeline"})) if f.signal == signal]


def test_factory_built_example_gen_keeps_per_run_examples(tmp_path: Path) -> None:
    found = _found(tmp_path, {"components/__init__.py": "", "components/ingest.py": INGEST, "components/train.py": TRAIN,
                              "pipeline.py": PIPELINE}, "data.version_logged")
    assert [(p, ln, a["kind"]) for p, ln, a in found] == [("components/ingest.py", 5, "run-artifact")]


def test_factory_pipeline_whose_trainer_reads_a_path_keeps_no_examples(tmp_path: Path) -> None:
    assert _found(tmp_path, {"components/__init__.py": "", "components/ingest.py": INGEST, "components/train.py": TRAIN_FROM_PATH,
                             "pipeline.py": PIPELINE}, "data.version_logged") == []


def test_factory_components_without_an_assembled_pipeline_keep_no_examples(tmp_path: Path) -> None:
    assert _found(tmp_path, {"components/__init__.py": "", "components/ingest.py": INGEST, "components/train.py": TRAIN},
                  "data.version_logged") == []


def test_google_cloud_pusher_deploys_and_registers_on_vertex(tmp_path: Path) -> None:
    files = {"components/pusher.py": PUSHER}
    deploys = _found(tmp_path / "a", files, "deploy.automated")
    assert [(p, ln, a["target"], a["active"]) for p, ln, a in deploys] == [("components/pusher.py", 5, "vertex", True)]
    assert [(p, a["tool"], a["central"]) for p, _, a in _found(tmp_path / "b", files, "model.registry")] == [("components/pusher.py", "vertex", True)]


def test_standard_pusher_to_a_directory_deploys_nothing(tmp_path: Path) -> None:
    files = {"components/pusher.py": LOCAL_PUSHER}
    assert _found(tmp_path / "a", files, "deploy.automated") == []
    assert _found(tmp_path / "b", files, "model.registry") == []


def test_cloud_pusher_without_deployment_parameters_deploys_nothing(tmp_path: Path) -> None:
    bare = PUSHER.split("custom_config=")[0] + ")\n"
    assert _found(tmp_path, {"components/pusher.py": bare}, "deploy.automated") == []


LEGACY = '''from tfx.components.evaluator.component import Evaluator
from tfx.components.example_gen.import_example_gen.component import ImportExampleGen
from tfx.components.example_validator.component import ExampleValidator
from tfx.components.model_validator.component import ModelValidator
from tfx.components.pusher.component import Pusher
from tfx.components.schema_gen.component import SchemaGen
from tfx.components.statistics_gen.component import StatisticsGen
from tfx.components.trainer.component import Trainer
from tfx.orchestration import pipeline
from tfx.proto import pusher_pb2


def create_pipeline(name, root, data, serving_dir):
    example_gen = ImportExampleGen(input_base=data)
    statistics_gen = StatisticsGen(examples=example_gen.outputs["examples"])
    schema_gen = SchemaGen(statistics=statistics_gen.outputs["statistics"])
    validate_stats = ExampleValidator(statistics=statistics_gen.outputs["statistics"], schema=schema_gen.outputs["schema"])
    trainer = Trainer(module_file="model.py", examples=example_gen.outputs["examples"], schema=schema_gen.outputs["schema"])
    validator = ModelValidator(examples=example_gen.outputs["examples"], model=trainer.outputs["model"])
    pusher = Pusher(model=trainer.outputs["model"], model_blessing=validator.outputs["blessing"],
                    push_destination=pusher_pb2.PushDestination(filesystem=pusher_pb2.PushDestination.Filesystem(base_directory=serving_dir)))
    return pipeline.Pipeline(pipeline_name=name, pipeline_root=root,
                             components=[example_gen, statistics_gen, schema_gen, validate_stats, trainer, validator, pusher])
'''


def _signals(tmp: Path, files: dict[str, str], detector: str, signal: str) -> list[dict]:
    repo = git_repo(tmp, files, commit=False)  # type: ignore[arg-type]
    index = FileIndex(resolve_target(str(repo)))
    return [dict(f.attrs) for f in run_detectors(index, load_detectors({detector})) if f.signal == signal]


def test_model_validator_blessing_gates_the_pusher(tmp_path: Path) -> None:
    gates = _signals(tmp_path, {"pipeline.py": LEGACY}, "tfx.pipeline", "gate.metric")
    assert [(g["blocking"], g["kind"]) for g in gates] == [(True, "model_validator")]


def test_pusher_without_the_validator_blessing_is_not_gated(tmp_path: Path) -> None:
    ungated = LEGACY.replace('model_blessing=validator.outputs["blessing"],', "")
    assert _signals(tmp_path, {"pipeline.py": ungated}, "tfx.pipeline", "gate.metric") == []


def test_example_validator_imported_from_its_component_module_validates_data(tmp_path: Path) -> None:
    found = _signals(tmp_path, {"pipeline.py": LEGACY}, "data.validation", "data.validation")
    assert [(a["tool"], a["automated"]) for a in found] == [("tfx", True)]
