"""GitOps controllers as CiJobs: Argo CD ``Application``/``ApplicationSet`` and Flux
``Kustomization``/``HelmRelease``. An automated sync (``syncPolicy.automated``, Flux reconciliation
unless ``suspend: true``) deploys on every push; without it a person syncs by hand.
"""

from __future__ import annotations

from typing import Any

from ..index import FileIndex
from .model import CiJob, as_dict, line_of, make_step, truthy

YAML = ("**/*.yaml", "**/*.yml")
# the kinds read here (``Application`` also finds ``ApplicationSet``): Argo Workflows, WorkflowTemplates and Rollouts name
# ``argoproj.io/`` too (kubeflow/pipelines: 162 such files parsed for no job), Flux's sources and image automation
# ``toolkit.fluxcd.io/``
KINDS = (b"Application", b"Kustomization", b"HelmRelease")


def parse_gitops(index: FileIndex) -> list[CiJob]:
    jobs: list[CiJob] = []
    for e in index.select(YAML):
        if not index.contains(e.path, (b"argoproj.io/", b"toolkit.fluxcd.io/")) or not index.mentions(e.path, KINDS):
            continue
        for d in index.yaml(e.path):
            if not isinstance(d, dict):
                continue
            api, kind = str(d.get("apiVersion", "")), str(d.get("kind", ""))
            spec = as_dict(d.get("spec"))
            if api.startswith("argoproj.io/") and kind in ("Application", "ApplicationSet"):
                system = "argocd"
                if kind == "ApplicationSet":
                    spec = as_dict(as_dict(spec.get("template")).get("spec"))
                sources = [as_dict(spec.get("source"))] + [as_dict(s) for s in spec.get("sources") or [] if isinstance(s, dict)]
                automated = "automated" in as_dict(spec.get("syncPolicy"))
                with_ = _source(sources[0] if sources[0] else (sources[1] if len(sources) > 1 else {}))
                # an automated sync is cited at its ``automated:`` entry (not the sync options or retry settings beside it)
                policy = as_dict(spec.get("syncPolicy"))
                line = (line_of(policy, "automated") or line_of(spec, "syncPolicy")) if automated else line_of(d, "kind")
            elif "toolkit.fluxcd.io/" in api and kind in ("Kustomization", "HelmRelease"):
                system = "flux"
                automated = not truthy(spec.get("suspend"))
                chart = as_dict(as_dict(spec.get("chart")).get("spec"))
                with_ = tuple((k, str(v)) for k, v in (("path", spec.get("path", "")), ("chart", chart.get("chart", ""))) if v)
                line = line_of(d, "kind")
            else:
                continue
            name = str(as_dict(d.get("metadata")).get("name", kind))
            step = make_step(e.path, line, name, "", uses=f"{system}/{kind}", with_=with_)
            jobs.append(CiJob(system=system, path=e.path, line=line_of(d, "kind"), name=name, steps=(step,),
                              triggers=frozenset({"gitops"} if automated else {"manual"}), manual=not automated,
                              applies=e.scope == "project"))
    return jobs


def _source(src: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    return tuple((k, str(src[k])) for k in ("repoURL", "path", "chart", "targetRevision") if src.get(k))
