"""MLflow probe (extra ``mlflow``): registered models, their versions (stage, aliases, tags) and the runs behind
them (params, metrics, ``mlflow.source.git.commit``, dataset inputs); experiments with their recent runs.

Only search/get calls of ``MlflowClient`` are made, so ``MLFLOW_TRACKING_URI``, ``MLFLOW_TRACKING_TOKEN``,
basic auth and Databricks profiles work as they do for MLflow itself."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

from .common import display_uri, guarded, iso, parse_time, run_bounded, scrub, secret_values, tick, uri_secrets
from .interface import LiveRequest, MissingExtra, MlflowTarget, ProbeResult, Resource, resource

GIT_COMMIT_TAG = "mlflow.source.git.commit"
PROMOTED_STAGES = ("Production", "Staging")
# Every client method the probe calls; deploy/ and the least-privilege test read this list.
CALLS = ("search_registered_models", "search_model_versions", "get_run", "search_experiments", "search_runs")
VERSIONS_PER_MODEL = 20
RUNS_PER_MODEL = 10


def load_client() -> Any:
    try:
        from mlflow.tracking import MlflowClient
    except ImportError:
        raise MissingExtra("mlflow", "mlflow") from None
    return MlflowClient


@contextmanager
def _bounded_http(timeout: float) -> Iterator[None]:
    """MLflow's own retries (7 with exponential back-off by default) and 120 s timeout would make a dead
    server cost minutes: one try, ``timeout`` seconds, for the probe's duration only."""
    keys = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0", "MLFLOW_HTTP_REQUEST_TIMEOUT": str(max(1, int(round(timeout)))),
            "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "0"}
    old = {k: os.environ.get(k) for k in keys}
    os.environ.update(keys)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def probe(target: MlflowTarget, req: LiveRequest) -> ProbeResult:
    client_cls = load_client()
    started = time.monotonic()
    uri = target.uri
    if not uri and not os.environ.get("MLFLOW_TRACKING_URI"):  # MLflow would fall back to a local store in the working directory
        from .interface import Outcome, Status

        msg = "no tracking URI: give --mlflow=URI or set MLFLOW_TRACKING_URI"
        return ProbeResult("mlflow", "none", (), tuple(Outcome("mlflow", a, Status.UNREACHABLE, msg) for a in ("mlflow.models", "mlflow.experiments")))
    secrets = secret_values(uri_secrets(uri))
    with _bounded_http(req.timeout):
        try:
            client = client_cls(tracking_uri=uri, registry_uri=uri) if uri else client_cls()
            shown = display_uri(str(getattr(client, "tracking_uri", None) or uri or "default"))
        except Exception as e:  # a malformed URI or missing Databricks profile: every area is unknown
            from .common import classify, describe
            from .interface import Outcome

            out = tuple(Outcome("mlflow", a, classify(e), describe(e, secrets)) for a in ("mlflow.models", "mlflow.experiments"))
            return ProbeResult("mlflow", display_uri(uri or "default"), (), out, (), time.monotonic() - started)
        tasks = [
            ("mlflow", "mlflow.models", lambda: guarded("mlflow", "mlflow.models", secrets, lambda: _models(client, req))),
            ("mlflow", "mlflow.experiments", lambda: guarded("mlflow", "mlflow.experiments", secrets, lambda: _experiments(client, req))),
        ]
        res, outcomes = run_bounded(tasks, workers=min(2, req.workers), budget=req.budget, secrets=secrets)
    return ProbeResult("mlflow", scrub(shown, secrets), tuple(res), tuple(outcomes), tuple(f"mlflow:{c}" for c in CALLS),
                       round(time.monotonic() - started, 3))


def _paged(call: Callable[..., Any], limit: int, page: int = 100, **kw: Any) -> list[Any]:
    out: list[Any] = []
    token = None
    while len(out) < limit:
        tick()
        batch = call(max_results=min(page, limit - len(out)), page_token=token, **kw)
        out += list(batch)
        token = getattr(batch, "token", None)
        if not token or not len(batch):
            break
    return out


def _q(name: str) -> str:
    return quote(name, safe="")


def _models(client: Any, req: LiveRequest) -> list[Resource]:
    out: list[Resource] = []
    models = _paged(client.search_registered_models, req.max_items)
    runs_done: set[str] = set()
    for m in models:
        tick()
        name = m.name
        aliases = dict(getattr(m, "aliases", None) or {})
        muri = f"mlflow://models/{_q(name)}"
        try:
            versions = _paged(client.search_model_versions, VERSIONS_PER_MODEL, filter_string=f"name='{_escape(name)}'",
                              order_by=["version_number DESC"])
        except Exception as e:
            if "order_by" not in str(e).lower() and "order" not in str(e).lower():
                raise
            versions = _paged(client.search_model_versions, VERSIONS_PER_MODEL, filter_string=f"name='{_escape(name)}'")
        by_version: dict[str, list[str]] = {}
        for alias, v in aliases.items():
            by_version.setdefault(str(v), []).append(str(alias))
        promoted_any = False
        runs_for: list[tuple[str, str]] = []
        for mv in sorted(versions, key=lambda v: -int(v.version)):
            v = str(mv.version)
            stage = str(getattr(mv, "current_stage", "") or "None")
            v_aliases = sorted(set(by_version.get(v, [])) | set(getattr(mv, "aliases", None) or []))
            promoted = bool(v_aliases) or stage in PROMOTED_STAGES
            promoted_any |= promoted
            tags = {str(k): str(val)[:80] for k, val in (getattr(mv, "tags", None) or {}).items()}
            vuri = f"{muri}/versions/{v}"
            out.append(resource("mlflow", "mlflow.model_versions", "ModelVersion", vuri, (name,), parent=muri, model=name, version=int(v),
                                stage=stage, aliases=v_aliases, promoted=promoted, tags=tags, status=str(getattr(mv, "status", "") or ""),
                                run_id=mv.run_id or None, created=iso(parse_time(getattr(mv, "creation_timestamp", None)))))
            if mv.run_id and (promoted or len(runs_for) < RUNS_PER_MODEL):
                runs_for.append((mv.run_id, vuri))
        latest = max((int(v.version) for v in versions), default=None)
        out.append(resource("mlflow", "mlflow.registered_models", "RegisteredModel", muri, (name,), model=name, versions=len(versions),
                            latest_version=latest, aliases=sorted(f"{a}->{v}" for a, v in aliases.items()), promoted=promoted_any,
                            described=bool(getattr(m, "description", None))))
        for run_id, vuri in runs_for:
            if run_id in runs_done:
                continue
            runs_done.add(run_id)
            tick()
            run = client.get_run(run_id)
            out.append(_run_resource(run, model=name, parent=vuri))
    return out


def _escape(name: str) -> str:
    return name.replace("\\", "\\\\").replace("'", "\\'")


def _run_resource(run: Any, *, model: str | None, parent: str) -> Resource:
    info, data = run.info, run.data
    tags = dict(getattr(data, "tags", None) or {})
    datasets = []
    inputs = getattr(run, "inputs", None)
    for di in getattr(inputs, "dataset_inputs", None) or []:
        ds = getattr(di, "dataset", None)
        if ds is not None:
            datasets.append(f"{ds.name}@{ds.digest}" if getattr(ds, "digest", None) else str(ds.name))
    names = (model,) if model else ()
    return resource("mlflow", "mlflow.runs", "Run", f"mlflow://runs/{info.run_id}", names, parent=parent, model=model,
                    experiment_id=str(info.experiment_id), params=len(data.params or {}), metrics=len(data.metrics or {}),
                    git_commit=tags.get(GIT_COMMIT_TAG), source_type=tags.get("mlflow.source.type"), datasets=datasets[:10],
                    status=str(getattr(info, "status", "") or ""), started=iso(parse_time(getattr(info, "start_time", None))))


def _experiments(client: Any, req: LiveRequest) -> list[Resource]:
    out: list[Resource] = []
    for exp in _paged(client.search_experiments, min(req.max_items, 500)):
        tick()
        runs = client.search_runs([exp.experiment_id], max_results=req.recent_runs, order_by=["attributes.start_time DESC"])
        n = len(runs)
        last = max((parse_time(r.info.start_time) for r in runs if r.info.start_time), default=None)
        out.append(resource(
            "mlflow", "mlflow.experiments", "Experiment", f"mlflow://experiments/{exp.experiment_id}", (exp.name,),
            experiment=exp.name, recent_runs=n,
            with_params=sum(1 for r in runs if r.data.params), with_metrics=sum(1 for r in runs if r.data.metrics),
            with_git=sum(1 for r in runs if (r.data.tags or {}).get(GIT_COMMIT_TAG)),
            with_datasets=sum(1 for r in runs if getattr(getattr(r, "inputs", None), "dataset_inputs", None)),
            last_run=iso(last), lifecycle=str(getattr(exp, "lifecycle_stage", "") or "")))
    return out
