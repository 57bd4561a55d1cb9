"""Reporters: golden files for every format, HTML escaping and links, SARIF structure, badges, CLI --output."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner
from mlscan.cli import FORMATS, main
from mlscan.report import build_report
from mlscan.reporters import REPORTERS, get_reporter
from mlscan.reporters.badge import badge_endpoint, badge_svg
from mlscan.reporters.html import render_report
from mlscan.reporters.links import blob_url, repo_web_url
from mlscan.reporters.sarif import sarif_log
from mlscan.valueclass import replace

from tests.report_sample import COMMIT, FROZEN_VERSION, HOSTILE, sample_result

GOLDEN_FILES = {
    "json": "sample.json",
    "markdown": "sample.md",
    "html": "sample.html",
    "sarif": "sample.sarif",
    "badge-json": "sample.badge.json",
    "badge-svg": "sample.badge.svg",
}


@pytest.fixture
def frozen_version(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("mlscan.report.__version__", FROZEN_VERSION)


@pytest.mark.parametrize("fmt", sorted(GOLDEN_FILES))
def test_golden(fmt: str, golden, frozen_version) -> None:
    golden.check(GOLDEN_FILES[fmt], get_reporter(fmt)(sample_result(), color=False))


def test_every_format_has_a_golden_and_a_cli_choice() -> None:
    assert set(FORMATS) == set(REPORTERS)
    assert set(REPORTERS) - {"terminal"} == set(GOLDEN_FILES)


# ----------------------------------------------------------------------------- HTML


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(page: str) -> _Tags:
    p = _Tags()
    p.feed(page)
    return p


def _html(extras: bool = True, **report_changes: Any) -> str:
    report = build_report(sample_result(extras))
    report.update(report_changes)
    return render_report(report)


def test_html_is_self_contained_and_script_free(frozen_version) -> None:
    parsed = _parse(_html())
    names = {t for t, _ in parsed.tags}
    assert not names & {"script", "img", "iframe", "object", "embed", "link", "base", "form", "input"}
    for tag, attrs in parsed.tags:
        assert not any(k.startswith("on") for k in attrs), (tag, attrs)
        for k in ("src", "href"):
            v = attrs.get(k)
            if v is not None:
                assert tag == "a" and (v.startswith("https://github.com/acme/churn-model") or v.startswith("#")), (tag, attrs)
    ids = {a.get("id") for _, a in parsed.tags}
    anchors = [a["href"][1:] for t, a in parsed.tags if t == "a" and (a.get("href") or "").startswith("#")]
    assert anchors and set(anchors) <= ids  # question references point at answer rows
    csp = [a for t, a in parsed.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert csp and "default-src 'none'" in (csp[0]["content"] or "")


def test_html_hostile_snippet_is_text(frozen_version) -> None:
    page = _html()
    parsed = _parse(page)
    assert HOSTILE in "".join(parsed.text)  # shown verbatim, as text
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;" in page
    assert "notes/&lt;b&gt;odd&lt;/b&gt;.md" in page  # a hostile path in a warning
    assert "&lt;b&gt;in production&lt;/b&gt;" in page  # pitfall text from the model, escaped


def test_html_structure(frozen_version) -> None:
    parsed = _parse(_html())
    ids = {a.get("id") for _, a in parsed.tags}
    assert {"level", "level-name", "radar", "answers", "pitfalls", "next-steps", "attestations", "frameworks", "crosswalk", "warnings", "skipped"} <= ids
    rows = [a for t, a in parsed.tags if t == "tr" and "answer" in (a.get("class") or "").split() and a.get("data-framework") == "checklist20"]
    assert [r["data-id"] for r in rows][:3] == ["D1", "D2", "D3"] and len(rows) == 20
    assert {r["data-answer"] for r in rows} == {"yes", "partial", "no", "unknown"}
    axes = [a for t, a in parsed.tags if t == "line" and a.get("class") == "radar-axis"]
    assert [a["data-dimension"] for a in axes] == ["Automation", "Reproducibility", "Scalability", "Observability", "Governance"]
    assert len([a for t, a in parsed.tags if t == "polygon" and a.get("class") == "radar-ring"]) == 4
    classes = [c for _, a in parsed.tags for c in (a.get("class") or "").split()]
    assert classes.count("pitfall") == 1 and classes.count("next-step") == 2 and classes.count("attestation") == 1
    fws = [a["data-framework"] for t, a in parsed.tags if t == "tr" and a.get("class") == "framework"]
    assert fws == ["checklist20", "sample-cascade"]


def test_html_evidence_links_to_commit(frozen_version) -> None:
    parsed = _parse(_html())
    links = [a["href"] for t, a in parsed.tags if t == "a" and a.get("class") == "evidence-link"]
    assert f"https://github.com/acme/churn-model/blob/{COMMIT}/dvc.yaml#L3" in links
    assert f"https://github.com/acme/churn-model/blob/{COMMIT}/.github/workflows/retrain.yml#L4" in links


def test_html_without_remote_has_no_links_and_no_extras() -> None:
    report = build_report(sample_result(extras=False))
    report["target"] = dict(report["target"], remote="https://gitea.example.com/acme/churn.git")
    page = render_report(report)
    parsed = _parse(page)
    assert not [a for t, a in parsed.tags if t == "a" and a.get("class") == "evidence-link"]
    assert 'class="evidence-path"' in page
    ids = {a.get("id") for _, a in parsed.tags}
    assert not ids & {"pitfalls", "next-steps", "attestations", "crosswalk"}


def test_html_tolerates_minimal_and_odd_reports() -> None:
    page = render_report({"level": None, "questions": [], "radar": [{"name": "A", "level": 9}], "pitfalls": {"x": 1}})
    assert 'id="level"' in page and 'id="pitfalls"' in page
    odd = render_report({"level": 1, "pitfalls": [{"title": 3, "evidence": [{"path": "a.py", "line": "x"}]}, None, 7]})
    assert odd.count('class="pitfall"') == 3


# ----------------------------------------------------------------------------- links


@pytest.mark.parametrize(
    ("remote", "web"),
    [
        ("git@github.com:acme/churn.git", "https://github.com/acme/churn"),
        ("https://github.com/acme/churn", "https://github.com/acme/churn"),
        ("https://github.com/acme/churn.git/", "https://github.com/acme/churn"),
        ("ssh://git@github.com:22/acme/churn.git", "https://github.com/acme/churn"),
        ("https://x-access-token:SECRET@github.com/acme/churn.git", "https://github.com/acme/churn"),
        ("git@gitlab.com:group/sub/proj.git", "https://gitlab.com/group/sub/proj"),
        ("https://gitlab.example.com/g/p.git", "https://gitlab.example.com/g/p"),
        ("https://github.com/acme", None),
        ("https://github.com/a/b/c", None),
        ("https://bitbucket.org/a/b.git", None),
        ("file:///tmp/repo", None),
        ("/tmp/repo", None),
        ("https://github.com/acme/<x>", None),
        (None, None),
    ],
)
def test_repo_web_url(remote: str | None, web: str | None) -> None:
    assert repo_web_url(remote) == web
    assert "SECRET" not in str(repo_web_url(remote))


def test_blob_url() -> None:
    assert blob_url("git@github.com:o/r.git", COMMIT, "src/a b.py", 3) == f"https://github.com/o/r/blob/{COMMIT}/src/a%20b.py#L3"
    assert blob_url("git@gitlab.com:g/r.git", COMMIT, "x.py", None) == f"https://gitlab.com/g/r/-/blob/{COMMIT}/x.py"
    assert blob_url("git@github.com:o/r.git", None, "x.py", 1) is None
    assert blob_url("git@github.com:o/r.git", "HEAD", "x.py", 1) is None
    assert blob_url("git@github.com:o/r.git", COMMIT, "../x.py", 1) is None
    assert blob_url("git@github.com:o/r.git", COMMIT, "a\"><b>.py", 1) == f"https://github.com/o/r/blob/{COMMIT}/a%22%3E%3Cb%3E.py#L1"


# ----------------------------------------------------------------------------- SARIF

# The subset of the SARIF 2.1.0 schema (OASIS sarif-schema-2.1.0.json) our output relies on, written by hand.
_MESSAGE = {"type": "object", "required": ["text"], "properties": {"text": {"type": "string", "minLength": 1}}}
_REGION = {
    "type": "object",
    "required": ["startLine"],
    "properties": {"startLine": {"type": "integer", "minimum": 1}, "endLine": {"type": "integer", "minimum": 1}, "snippet": _MESSAGE},
    "additionalProperties": False,
}
_LOCATION = {
    "type": "object",
    "required": ["physicalLocation"],
    "properties": {
        "id": {"type": "integer", "minimum": -1},
        "message": _MESSAGE,
        "physicalLocation": {
            "type": "object",
            "required": ["artifactLocation"],
            "properties": {
                "artifactLocation": {
                    "type": "object",
                    "required": ["uri"],
                    "properties": {"uri": {"type": "string", "minLength": 1, "pattern": "^[^ <>\"\\\\]+$"}, "uriBaseId": {"type": "string"}},
                    "additionalProperties": False,
                },
                "region": _REGION,
            },
            "additionalProperties": False,
        },
    },
    "additionalProperties": False,
}
SARIF_SUBSET = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["version", "$schema", "runs"],
    "properties": {
        "version": {"const": "2.1.0"},
        "$schema": {"type": "string", "format": "uri"},
        "runs": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["tool", "results"],
                "properties": {
                    "tool": {
                        "type": "object",
                        "required": ["driver"],
                        "properties": {
                            "driver": {
                                "type": "object",
                                "required": ["name", "rules"],
                                "properties": {
                                    "name": {"type": "string"},
                                    "version": {"type": "string"},
                                    "rules": {
                                        "type": "array",
                                        "items": {
                                            "type": "object",
                                            "required": ["id", "shortDescription", "fullDescription", "help"],
                                            "properties": {
                                                "id": {"type": "string", "minLength": 1},
                                                "shortDescription": _MESSAGE,
                                                "fullDescription": _MESSAGE,
                                                "help": _MESSAGE,
                                                "defaultConfiguration": {
                                                    "type": "object",
                                                    "properties": {"level": {"enum": ["none", "note", "warning", "error"]}},
                                                },
                                                "properties": {"type": "object", "properties": {"tags": {"type": "array", "items": {"type": "string"}}}},
                                            },
                                        },
                                    },
                                },
                            }
                        },
                    },
                    "automationDetails": {"type": "object", "properties": {"id": {"type": "string"}}},
                    "versionControlProvenance": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["repositoryUri"],
                            "properties": {"repositoryUri": {"type": "string", "format": "uri"}, "revisionId": {"type": "string"}},
                        },
                    },
                    "invocations": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["executionSuccessful"],
                            "properties": {
                                "executionSuccessful": {"type": "boolean"},
                                "toolExecutionNotifications": {
                                    "type": "array",
                                    "items": {
                                        "type": "object",
                                        "required": ["message"],
                                        "properties": {
                                            "message": _MESSAGE,
                                            "level": {"enum": ["none", "note", "warning", "error"]},
                                            "locations": {"type": "array", "items": _LOCATION},
                                        },
                                    },
                                },
                            },
                        },
                    },
                    "results": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["ruleId", "message", "locations", "partialFingerprints", "kind", "level"],
                            "properties": {
                                "ruleId": {"type": "string"},
                                "ruleIndex": {"type": "integer", "minimum": -1},
                                "kind": {"enum": ["notApplicable", "pass", "fail", "review", "open", "informational"]},
                                "level": {"enum": ["none", "note", "warning", "error"]},
                                "message": _MESSAGE,
                                "locations": {"type": "array", "minItems": 1, "maxItems": 10, "items": _LOCATION},
                                "relatedLocations": {"type": "array", "items": _LOCATION},
                                "partialFingerprints": {"type": "object", "additionalProperties": {"type": "string"}},
                                "properties": {"type": "object"},
                            },
                            # SARIF 3.27.9: a level other than "none" requires kind "fail"
                            "if": {"properties": {"level": {"enum": ["note", "warning", "error"]}}},
                            "then": {"properties": {"kind": {"const": "fail"}}},
                        },
                    },
                },
            },
        },
    },
}


def _sarif(result=None) -> dict[str, Any]:
    return json.loads(get_reporter("sarif")(result or sample_result()))


def test_sarif_validates_against_schema_subset(frozen_version) -> None:
    jsonschema.Draft202012Validator.check_schema(SARIF_SUBSET)
    log = _sarif()
    jsonschema.Draft202012Validator(SARIF_SUBSET).validate(log)
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    for r in run["results"]:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
    assert len({r["id"] for r in rules}) == len(rules) == 23


def test_sarif_results_per_answer(frozen_version) -> None:
    results = {r["ruleId"]: r for r in _sarif()["runs"][0]["results"]}
    d4, e3, m2, d1 = results["checklist20/D4"], results["checklist20/E3"], results["checklist20/M2"], results["checklist20/D1"]
    assert (d4["kind"], d4["level"]) == ("fail", "note")
    assert d4["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "src/churn/validate.py"
    assert (e3["kind"], e3["level"]) == ("fail", "warning")
    # a "no" is located at the closest finding its rules name (a dvc.lock without model outputs)
    assert e3["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "dvc.lock"
    assert "closest finding: dvc.lock" in e3["message"]["text"]
    assert m2["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "./"
    o2 = results["checklist20/O2"]  # capped at partial by its caveat: located at its evidence
    assert o2["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "monitoring/drift.py"
    assert (d1["kind"], d1["level"]) == ("pass", "none")
    assert d1["locations"][0]["physicalLocation"]["region"]["startLine"] == 2
    assert results["checklist20/O4"]["level"] == "note"
    assert results["sample-cascade/C3"]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "./"


def test_sarif_fingerprints_ignore_lines(frozen_version) -> None:
    base = sample_result()
    shifted_scores = {}
    for name, score in base.scores.items():
        answers = tuple(
            replace(a, evidence=tuple(replace(e, line=(e.line or 0) + 7) for e in a.evidence)) for a in score.answers
        )
        shifted_scores[name] = replace(score, answers=answers)
    shifted_findings = tuple(
        replace(f, evidence=tuple(replace(e, line=(e.line or 0) + 7) for e in f.evidence)) for f in base.findings
    )
    shifted = replace(base, scores=shifted_scores, findings=shifted_findings)
    a = {r["ruleId"]: r["partialFingerprints"] for r in _sarif(base)["runs"][0]["results"]}
    b = {r["ruleId"]: r["partialFingerprints"] for r in _sarif(shifted)["runs"][0]["results"]}
    assert a == b
    assert len({json.dumps(v) for v in a.values()}) == len(a)  # distinct per rule


def test_sarif_without_frameworks_key() -> None:
    report = build_report(sample_result(extras=False))
    del report["frameworks"]
    log = sarif_log(report)
    jsonschema.Draft202012Validator(SARIF_SUBSET).validate(log)
    assert len(log["runs"][0]["results"]) == 20


# ----------------------------------------------------------------------------- badges


@pytest.mark.parametrize(("level", "color"), [(0, "red"), (1, "orange"), (2, "yellow"), (3, "yellowgreen"), (4, "brightgreen"), (None, "lightgrey")])
def test_badge_endpoint(level: int | None, color: str) -> None:
    doc = badge_endpoint({"level": level})
    assert doc == {"schemaVersion": 1, "label": "ML maturity", "message": f"L{level}" if level is not None else "unknown", "color": color}


def test_badge_svg_is_standalone_xml() -> None:
    svg = badge_svg({"level": 3, "level_name": "A <b> & c", "framework": "checklist20", "yes_count": 17, "total": 20})
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "L3" in texts and "ML maturity" in texts
    title = root.find("{http://www.w3.org/2000/svg}title")
    assert title is not None and "A <b> & c" in (title.text or "")
    assert "href" not in svg and "<script" not in svg


# ----------------------------------------------------------------------------- CLI


@pytest.mark.parametrize("fmt", [f for f in sorted(REPORTERS) if f != "terminal"])
def test_cli_output_file(fmt: str, repo_from, tmp_path: Path) -> None:
    repo = repo_from("levels/l2-pipelines/repo")
    out = tmp_path / f"report.{fmt}"
    res = CliRunner().invoke(main, ["scan", str(repo), "-f", fmt, "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert res.output == ""
    text = out.read_text(encoding="utf-8")
    if fmt in ("json", "sarif", "badge-json"):
        doc = json.loads(text)
        if fmt == "sarif":
            jsonschema.Draft202012Validator(SARIF_SUBSET).validate(doc)
            assert len(doc["runs"][0]["results"]) == 20
        if fmt == "badge-json":
            assert doc["message"].startswith("L")
    elif fmt == "badge-svg":
        ET.fromstring(text)
    elif fmt == "html":
        parsed = _parse(text)
        assert len([a for t, a in parsed.tags if t == "tr" and "answer" in (a.get("class") or "").split()]) == 20


def test_every_format_shows_the_wiring_chain_and_caveats() -> None:
    """The first item's chain and caveats travel with it in every human format (and in JSON/SARIF properties)."""
    chain = "run by scripts/retrain.sh:8"
    caveat = "not active: disabled, commented out or a placeholder"
    for fmt in ("terminal", "markdown", "html", "json", "sarif"):
        out = get_reporter(fmt)(sample_result(), color=False, width=400)
        assert chain in out and caveat in out, fmt
    html = get_reporter("html")(sample_result(), color=False)
    assert "&lt;b&gt;no receiver&lt;/b&gt;" in html and "<b>no receiver</b>" not in html
    md = get_reporter("markdown")(sample_result(), color=False)
    assert "&lt;b&gt;no receiver&lt;/b&gt;" in md
    # the chain as the issue writes it, root last: "defined at <file:lines> ← run by ... ← called from ..."
    wired = "defined at src/churn/train.py:23-24 ← run by scripts/retrain.sh:8 ← called from CI step .github/workflows/retrain.yml:31"
    for fmt in ("terminal", "markdown", "html"):
        assert wired in get_reporter(fmt)(sample_result(), color=False, width=400), fmt
    # a hostile path in a chain renders as text: no link, emphasis, code span, tag or broken table cell
    row = next(line for line in md.splitlines() if line.startswith("| E2 "))
    assert "\\[l\\](javascript" in row and "<i>" not in row
    assert len(re.split(r"(?<!\\)\|", row.strip())) == 7  # five cells: every pipe from the repository is escaped
    # the leading item's snippet line sits beside its location, in a code span that no backtick in it can close
    assert "`src/churn/report.py:7` (+1)<br>`</script><script>alert(\"pwned\")</script>" in row
