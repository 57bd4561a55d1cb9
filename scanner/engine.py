"""Run a scan: target -> index -> detectors -> findings -> rule packs -> scores.

The one module front-ends call (``scan(path, ScanOptions) -> ScanResult``); it imports every stage, and no
stage imports it."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .cache.blobs import discard, start_git_index
from .cache.units import Units, open_units
from .detection import detect_one, python_pass
from .detector import Detector
from .errors import UsageError
from .index import FileIndex
from .model import Finding, Score, Warning_
from .plugins import DetectorPlan, plan_detectors
from .scoring.conditions import Findings
from .scoring.rulepack import RulePack, load_packs
from .scoring.score import resolver, score_pack
from .valueclass import Value, setfield

if TYPE_CHECKING:
    from .config import Attestation
    from .scoring.next_steps import NextSteps
    from .scoring.pitfalls import PitfallHit
from .gcpolicy import rare_collections
from .target import Target, is_url, redact_url, resolve_target, start_listing

DEFAULT_FRAMEWORK = "checklist20"
# Above this many Python, notebook, YAML and JSON files the facts cache is not used: recording every unit of a
# 100,000-file repository took far more memory than its 200 MiB budget (docs/benchmarks.md, "Facts cache").
CACHE_MAX_WORK_FILES = 20_000


class ScanOptions(Value, frozen=True):
    """How to scan: frameworks, extra rule packs, excludes, processes, cache and live endpoints."""
    frameworks: Sequence[str]
    rules: Sequence[str]
    excludes: Sequence[str]
    only_detectors: frozenset[str] | None
    use_attestations: bool
    jobs: int  # processes; 0: one per CPU for a repository with 500+ files to parse (jobs.auto_jobs), 1: one
    # the facts cache (mlscan.cache): True for the default directory ($MLSCAN_CACHE_DIR, else the XDG cache dir),
    # a directory, an open ``mlscan.cache.store.Store`` (shared by many scans), or False/None for none
    cache: Any
    live: Any  # live.interface.LiveRequest: endpoints asked for on the command line (docs/live.md)
    use_live_config: bool  # let a `live:` section of the scanned repository's .mlscan.yml start probes (`mlscan scan` does)
    as_root: bool  # scan the directory as a repository of its own (target.resolve_target)

    _fields = ("frameworks", "rules", "excludes", "only_detectors", "use_attestations", "jobs", "cache", "live", "use_live_config", "as_root")

    def __init__(
        self,
        frameworks: Sequence[str] = (DEFAULT_FRAMEWORK,),
        rules: Sequence[str] = (),
        excludes: Sequence[str] = (),
        only_detectors: frozenset[str] | None = None,
        use_attestations: bool = True,
        jobs: int = 0,
        cache: Any = True,
        live: Any = None,
        use_live_config: bool = False,
        as_root: bool = False,
    ) -> None:
        setfield(self, "frameworks", frameworks)
        setfield(self, "rules", rules)
        setfield(self, "excludes", excludes)
        setfield(self, "only_detectors", only_detectors)
        setfield(self, "use_attestations", use_attestations)
        setfield(self, "jobs", jobs)
        setfield(self, "cache", cache)
        setfield(self, "live", live)
        setfield(self, "use_live_config", use_live_config)
        setfield(self, "as_root", as_root)


class ScanResult(Value, frozen=True):
    """Everything a scan found and scored, what reporters render."""
    target: Target
    display_path: str
    findings: tuple[Finding, ...]
    scores: dict[str, Score]
    packs: dict[str, RulePack]
    warnings: tuple[Warning_, ...]
    skipped: dict[str, Any]
    stats: dict[str, Any]
    policy: dict[str, Any]
    extras: dict[str, Any]
    basis: Score | None  # checklist20, scored even when not selected: pitfalls and crosswalk use it
    crosswalk: dict[str, Any]
    pitfalls: tuple[PitfallHit, ...]
    next_steps: NextSteps | None
    attestations: tuple[Attestation, ...]

    _fields = ("target", "display_path", "findings", "scores", "packs", "warnings", "skipped", "stats", "policy", "extras", "basis", "crosswalk", "pitfalls", "next_steps", "attestations")

    def __init__(
        self,
        target: Target,
        display_path: str,
        findings: tuple[Finding, ...],
        scores: dict[str, Score],
        packs: dict[str, RulePack],
        warnings: tuple[Warning_, ...],
        skipped: dict[str, Any],
        stats: dict[str, Any],
        policy: dict[str, Any] | None = None,
        extras: dict[str, Any] | None = None,
        basis: Score | None = None,
        crosswalk: dict[str, Any] | None = None,
        pitfalls: tuple[PitfallHit, ...] = (),
        next_steps: NextSteps | None = None,
        attestations: tuple[Attestation, ...] = (),
    ) -> None:
        setfield(self, "target", target)
        setfield(self, "display_path", display_path)
        setfield(self, "findings", findings)
        setfield(self, "scores", scores)
        setfield(self, "packs", packs)
        setfield(self, "warnings", warnings)
        setfield(self, "skipped", skipped)
        setfield(self, "stats", stats)
        setfield(self, "policy", {} if policy is None else policy)
        setfield(self, "extras", {} if extras is None else extras)
        setfield(self, "basis", basis)
        setfield(self, "crosswalk", {} if crosswalk is None else crosswalk)
        setfield(self, "pitfalls", pitfalls)
        setfield(self, "next_steps", next_steps)
        setfield(self, "attestations", attestations)

    @property
    def primary(self) -> Score:
        return next(iter(self.scores.values()))


def select_packs(options: ScanOptions, packs: dict[str, RulePack] | None = None) -> dict[str, RulePack]:
    packs = packs if packs is not None else load_packs(list(options.rules))
    names = list(options.frameworks) or [DEFAULT_FRAMEWORK]
    if "all" in names:
        names = [DEFAULT_FRAMEWORK] + sorted(n for n in packs if n != DEFAULT_FRAMEWORK)
    chosen: dict[str, RulePack] = {}
    for n in names:
        if n not in packs:
            raise UsageError(f"unknown framework {n!r}; known: {', '.join(sorted(packs))}")
        chosen[n] = packs[n]
    return chosen


def run_detectors(index: FileIndex, detectors: Sequence[Detector], jobs: int = 1, units: Units | None = None) -> list[Finding]:
    """All findings, in detector order (each detector's Python-pass findings, then its own pass). With
    ``jobs`` > 1 the work is shared by forked worker processes (scanner/parallel.py); the findings are the same.
    With ``units`` (the facts cache) work whose inputs did not change since a scan of the same listing is reused."""
    if units is not None and jobs > 1 and not units.mostly_reusable(index, detectors):
        jobs_run = jobs
    elif units is not None:
        jobs_run = 1  # little to recompute: forking would cost more than it saves
    else:
        jobs_run = jobs
    top = units.start() if units is not None else None
    if units is not None and jobs > 1 and units.run.hit:
        from .parallel import count_words_phase

        count_words_phase(index)  # what a parallel scan's first phase counts, which a reusing scan skips
    try:
        if jobs_run > 1:
            from .parallel import run_parallel

            done = run_parallel(index, detectors, jobs_run, units)
            if done is not None:
                return done
        if units is not None and units.shared_models():
            from .parallel import _shared_models

            _shared_models(index)  # what the parallel scan that filled the cache built before its workers started
        findings: list[Finding] = []
        python = python_pass(index, detectors, units=units)
        for det in detectors:
            findings.extend(python.get(det.id, ()))
            findings.extend(detect_one(index, det, units))
        return findings
    finally:
        if units is not None and top is not None:
            units.stop(top)
            units.done("top", top, None)


# The whole scan collects rarely, the evidence pass and scoring after the detectors too: with the default thresholds the
# evidence pass's notebook parses and the scoring ran ~300 collections over the scan's heap (Azure/azureml-examples: 27 of
# generation 1 and 2 of generation 2, ~0.7 s of CPU). The index lets go of what it kept before the thresholds come back
# (FileIndex.release), so the first collection after them does not traverse it.
@rare_collections()
def scan(
    path: str, options: ScanOptions | None = None, *, target: Target | None = None, packs: dict[str, RulePack] | None = None
) -> ScanResult:
    """Scan ``path``. ``target`` (already resolved, e.g. a ref exported by ``mlscan diff``) replaces resolving
    it; ``packs`` (``load_packs(options.rules)``, loaded once for several scans) replaces loading them."""
    options = options or ScanOptions()
    started = time.perf_counter()
    # Loading the detectors and rule packs, and the detectors' many short-lived ASTs, make objects and little cyclic
    # garbage; the default thresholds spent over half of detector time on large repositories (docs/benchmarks.md).
    with rare_collections():
        target = target or resolve_target(path, as_root=options.as_root)
        listing = start_listing(target)  # git lists the files while the rule packs and detectors load
        blob_ids = start_git_index(target.root) if options.cache is not False and options.cache is not None and target.is_git else None
        try:
            all_packs = packs if packs is not None else load_packs(list(options.rules))
            packs = select_packs(options, all_packs)
            plan = plan_detectors(set(options.only_detectors) if options.only_detectors else None)
        except BaseException:
            if listing is not None:
                listing.kill()
                listing.communicate()
            discard(blob_ids)
            raise
        try:  # a started listing of blob ids is ended when the scan stops before the cache takes it
            from .config import load_config
            from .scoring.crosswalk import load_crosswalk
            from .scoring.next_steps import next_steps
            from .scoring.pitfalls import find_pitfalls, load_pitfalls

            index = FileIndex(target, excludes=list(options.excludes), listing=listing)
            # the finished process keeps what it printed, in 32 KiB chunks, for as long as it is referenced (git's listing
            # of a 100,000-file repository: 5.6 MiB, inherited by every worker): dropped now that the index holds the paths
            listing = None
            known = {name: {q.id for q in p.questions} for name, p in all_packs.items()}
            config = load_config(index, use_attestations=options.use_attestations, known=known)
            if config.excludes:
                index = FileIndex(target, excludes=[*options.excludes, *config.excludes])
            for w in config.warnings:
                index.warn(w.code, w.message, w.path)
            live_plan = _live_plan(options, config.live, is_url(path))
            from .vocabulary import planned

            index.register_vocabulary(sorted(planned(plan.module_names(), plan.load_all)))  # as if every detector loaded
            from .facts.unreached import vocabulary as module_names

            index.register_vocabulary(module_names(index))  # the evidence's name search asks the words of module paths
            from .jobs import auto_jobs, work_files

            work = work_files(index)
        except BaseException:
            discard(blob_ids)
            raise
        if work > CACHE_MAX_WORK_FILES:
            discard(blob_ids)
            units = None
        else:  # (the started listing of blob ids is the cache's now; the cache is keyed by every planned detector)
            units = open_units(options.cache, index, plan, [*options.excludes, *config.excludes], started=blob_ids)
        try:
            jobs = options.jobs or auto_jobs(work)
            detectors = choose_detectors(index, plan, words=jobs == 1, run=units.run if units is not None else None)
            findings = run_detectors(index, detectors, jobs, units)
            if units is not None:
                units.save()
        finally:
            if units is not None:
                units.close()
    from .evidence import focus, pack_hints

    index.eager_facts = False  # a fact asked from now on is derived when asked (the same value): no parse derives them all
    findings = focus(index, findings, pack_hints(all_packs.values()))  # the deciding line, its context, wiring chain and caveats
    live = None
    if live_plan is not None:
        from .live.run import observe

        live = observe(index, *live_plan, findings)
        findings = live.findings
        for w in live.warnings:
            index.warn(w.code, w.message, w.path)
    fset = Findings(findings)

    def overrides(name: str) -> dict[str, Any]:
        return config.overrides_for(name, known[name])

    external = resolver(all_packs, fset, overrides)  # `{answer: E1, framework: checklist20}` across packs
    scores = {name: score_pack(pack, fset, overrides(name), external) for name, pack in packs.items()}
    pitfall_set = load_pitfalls()
    crosswalk = load_crosswalk()
    basis_name = pitfall_set.framework
    basis = scores.get(basis_name)
    if basis is None and basis_name in all_packs:
        basis = score_pack(all_packs[basis_name], fset, overrides(basis_name), external)
    primary_name = next(iter(scores))
    elapsed = time.perf_counter() - started
    policy = {
        "templates": (
            "rendered-defaults" if index.is_template_repo else ("skipped" if index.stats.skipped.get("template") else "none")
        ),
        "template_files": index.template_files,
        "attestations": "used" if options.use_attestations else "ignored",
        "config": config.path,
    }
    extras: dict[str, Any] = {}
    if live is not None:
        policy["live"] = sorted({p.platform for p in live.probes})
        extras["live"] = _live_report(live, findings, all_packs.get(basis_name))
    result = ScanResult(
        target=target,
        display_path=(redact_url(path) or path) if is_url(path) else path,
        findings=tuple(findings),
        scores=scores,
        packs=packs,
        warnings=tuple(sorted(index.warnings, key=lambda w: (w.path or "", w.code, w.message))),  # the same for any --jobs
        skipped=index.skipped_summary(),
        stats={
            "files_listed": index.stats.listed,
            "files_in_scope": len(index.entries),
            "files_read": index.stats.read,
            "files_parsed": index.stats.parsed,
            "detectors": plan.count(),
            "jobs": jobs,
            "duration_seconds": round(elapsed, 3),
        },
        policy=policy,
        extras=extras,
        basis=basis,
        crosswalk=crosswalk.to_json(basis if crosswalk.basis == basis_name else scores.get(crosswalk.basis), scores),
        pitfalls=tuple(find_pitfalls(fset, basis, pitfall_set)),
        next_steps=next_steps(packs[primary_name], scores[primary_name], fset),
        attestations=tuple(config.attestations),
    )
    index.release()
    return result


def choose_detectors(index: FileIndex, plan: DetectorPlan, words: bool = True, run: Any = None) -> list[Detector]:
    """The planned detectors this repository can feed (mlscan.manifest: a file each needs), with their vocabulary
    registered. Gates on file names first (a clause without words: their detectors' ``vocabulary`` is registered before
    any file is split into words), then, with ``words`` (a scan in one process: a parallel scan's workers split the files), gates on words; a
    word gate is taken as open otherwise. With ``run`` (the facts cache's RunCache) a word gate's stored answer is
    reused while none of the files it asked about changed (a rescan reads none of them), and this scan's answers are
    kept for the next."""
    from .manifest import gate_meets, gate_open, gate_open_by_name

    open_ = {g.name for g in plan.gates if gate_open_by_name(index, g)}  # a clause without words: no file read
    for det in plan.choose(lambda g: g.name in open_):
        index.register_vocabulary(det.vocabulary(index))  # names of this repository a detector asks about (dvc.data)
    for g in plan.gates:
        if g.name in open_ or not g.reads_words:
            continue
        if not words:
            open_.add(g.name)
            continue
        stored = run.stored_gate(g.name, lambda path, g=g: gate_meets(index, g, path)) if run is not None else None
        if stored is None:
            asked: list[str] = []
            stored = gate_open(index, g, asked)
            if run is not None:
                run.keep_gate(g.name, stored, asked)
        if stored:
            open_.add(g.name)
    return plan.choose(lambda g: g.name in open_)


def _live_plan(options: ScanOptions, section: dict[str, Any] | None, remote: bool) -> tuple[Any, Any] | None:
    """(request, link mappings) when live endpoints are asked for; a missing extra fails here, before the scan."""
    if options.live is None and not (section and options.use_live_config):
        return None
    from .live.run import check_extras, merge

    req, maps = merge(options.live, section, honour_section=options.use_live_config and not remote)
    if not req.asked:
        return None
    check_extras(req)
    return req, maps


def _live_report(live: Any, findings: list[Finding], pack: RulePack | None) -> dict[str, Any]:
    """The report's ``live`` section, with each checklist answer from the repository's declarations alone (as written,
    before live objects disproved any) and from observed evidence alone."""
    from .live.run import split_sources

    if pack is not None:
        observed = split_sources(findings)[1]
        d, o = score_pack(pack, Findings(live.original)), score_pack(pack, Findings(observed))
        live.answers = {a.id: {"declared": str(a.value), "observed": live.observed_answer(a.id, b.value)} for a, b in zip(d.answers, o.answers)}
    out: dict[str, Any] = live.to_json()
    out["framework"] = pack.framework if pack is not None else None
    return out
