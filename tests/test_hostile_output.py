"""Reports of hostile repositories stay small and valid in every format: capped lists say how much they left
out, odd file names and contents are escaped one way everywhere, a terminal never receives an escape sequence."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mlscan.model import Evidence, Finding, Strength, Warning_, redact_secrets
from mlscan.report import MAX_FINDINGS_PER_SIGNAL, MAX_WARNINGS, build_report
from mlscan.reporters import REPORTERS, get_reporter
from mlscan.textsafe import display_path, printable, truncate
from mlscan.valueclass import replace

from tests.conftest import git_repo
from tests.report_sample import sample_result
from tests.test_hostile_input import run
from tests.test_report_schema import validate_report

MAX_REPORT_BYTES = 4 << 20
ODD = [b"caf\xc3", b"\x1b[31mred\x1b[0m", b"new\nline", b"tab\tname", "日本語".encode(), b"\xff\xfe", b"x" * 200, b"\x07bell",
       "\u202ertl".encode(), b"[bold]markup[/bold]", b"<img src=x onerror=alert(1)>"]


def assert_valid(fmt: str, data: bytes) -> str:
    """The output is valid in its own encoding and format, and carries no terminal control sequence."""
    text = data.decode("utf-8")  # strict: no cut or undecodable character
    assert "\x1b" not in text and "\x9b" not in text, fmt
    assert not any(ord(c) < 32 and c not in "\n\t" for c in text), fmt
    if fmt in ("json", "sarif", "badge-json"):
        json.loads(text)
    if fmt == "json":
        validate_report(json.loads(text))
    if fmt == "badge-svg":
        ET.fromstring(text)
    return text


# ---------------------------------------------------------------- the helper every format uses


def test_display_path_escapes_bytes_and_controls_one_way() -> None:
    assert display_path(os.fsdecode(b"src/caf\xc3.py")) == "src/caf\\xc3.py"
    assert display_path("a\nb\x1b[31m") == "a\\x0ab\\x1b[31m"
    assert display_path("日本/ok.py") == "日本/ok.py"
    assert display_path("\u202egnp.exe") == "\\u202egnp.exe"  # a bidi override shown, not obeyed
    assert printable("x\x1b[2Jy\x1b]8;;http://e\x07z") == "xyz"  # escape sequences dropped from text, not half-kept
    assert printable("a\nb\tc\x00", keep="\n\t") == "a\nb\tc\\x00"


@settings(max_examples=300, deadline=None, database=None)
@given(st.text(), st.integers(min_value=1, max_value=60))
def test_truncate_never_splits_a_character(text: str, limit: int) -> None:
    shown = printable(text)
    cut = truncate(shown, limit)
    assert len(cut) <= max(limit, 1)
    cut.encode("utf-8")  # no lone surrogate
    if cut != shown:  # text that fits is kept whole: a literal backslash-u in it is content, not a split escape
        assert shown.startswith(cut.removesuffix("…"))
        assert not cut.removesuffix("…").endswith(("\\x", "\\u")), cut
    assert truncate("\\u", 2) == "\\u"  # the case that showed the old check read content as a split escape


@settings(max_examples=200, deadline=None, database=None)
@given(st.binary(max_size=40))
def test_any_path_bytes_display_as_valid_utf8(raw: bytes) -> None:
    shown = display_path(os.fsdecode(raw))
    shown.encode("utf-8")
    assert not any(ord(c) < 32 or 0x7F <= ord(c) <= 0x9F or 0x202A <= ord(c) <= 0x202E for c in shown)


# ---------------------------------------------------------------- odd names, end to end


@pytest.fixture(scope="module")
def odd_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("odd") / "repo"
    wf = b"on:\n  push:\n  schedule:\n    - cron: '0 3 * * 1'\njobs:\n  t:\n    runs-on: x\n    steps:\n      - run: pytest\n      - run: python train.py\n"
    train = b"import mlflow\nmlflow.log_metric('acc', 1)\nmlflow.log_param('x', '\x1b[2J\xc3\x9b')\nif __name__ == '__main__':\n    pass\n"
    files: dict[str, str | bytes] = {}
    for name in ODD:
        files[os.fsdecode(b".github/workflows/" + name + b".yml")] = wf
        files[os.fsdecode(b"src/" + name + b"/train.py")] = train
    files["dvc.yaml"] = b"stages:\n  t:\n    cmd: python \xc3\x1b[31m.py\n"
    return git_repo(root, files)


@pytest.mark.parametrize("fmt", sorted(REPORTERS))
def test_odd_names_give_valid_output_in_every_format(odd_repo: Path, fmt: str) -> None:
    cp = run("scan", str(odd_repo), "-f", fmt, "--no-color", timeout=180)
    assert cp.returncode == 0, cp.stderr
    assert "Traceback" not in cp.stderr
    assert cp.stdout.strip()


def test_odd_names_are_escaped_the_same_way_everywhere(tmp_path: Path) -> None:
    import subprocess
    import sys

    wf = "on:\n  push:\n  schedule:\n    - cron: '0 3 * * 1'\njobs:\n  t:\n    runs-on: x\n    steps:\n      - run: python train.py\n"
    repo = git_repo(tmp_path / "r", {os.fsdecode(b".github/workflows/caf\xc3\x1b[1m.yml"): wf})
    texts = {}
    for fmt in ("json", "markdown", "html", "sarif", "terminal"):
        cp = subprocess.run([sys.executable, "-m", "mlscan", "scan", str(repo), "-f", fmt, "--no-color"], capture_output=True,
                            timeout=180, env={**os.environ, "COLUMNS": "400"})
        assert cp.returncode == 0, cp.stderr
        texts[fmt] = assert_valid(fmt, cp.stdout)
    shown = ".github/workflows/caf\\xc3\\x1b[1m.yml"
    report = json.loads(texts["json"])
    paths = {e["path"] for q in report["questions"] for e in q["evidence"]} | {e["path"] for f in report["findings"] for e in f["evidence"]}
    assert paths == {shown}
    for fmt in ("markdown", "html", "terminal"):
        assert shown in texts[fmt], fmt
    assert json.dumps(shown)[1:-1] in texts["sarif"]  # the same text, JSON-encoded


def test_terminal_in_colour_gets_no_escape_sequence_from_the_repository(odd_repo: Path) -> None:
    cp = run("scan", str(odd_repo), "--color", timeout=180)
    assert cp.returncode == 0, cp.stderr
    assert "\x1b[31mred" not in cp.stdout and "\x1b[2J" not in cp.stdout and "\x07" not in cp.stdout


# ---------------------------------------------------------------- bounded size


def _flooded(n: int = 10_000):  # type: ignore[no-untyped-def]
    """The sample result with ``n`` workflow findings (long snippets, the first with 30 evidence), ``n`` warnings and an
    answer whose evidence was capped: what a 10,000-workflow repository gives."""
    base = sample_result()
    snippet = "run: " + "é" * 300
    attrs = {"command": "python train.py " + "x" * 5000, "files": [f"f{k}" for k in range(500)]}
    findings = tuple(
        Finding(signal, "ci.workflow", tuple(Evidence(f".github/workflows/wf{i:05d}.yml", k + 1, snippet, "ci.workflow", Strength.STRONG)
                                            for k in range(30 if i < 3 else 1)),
                attrs)
        for i in range(n) for signal in ("ci.tests", "schedule.training")
    )
    warnings = tuple(Warning_("parse-error", f"yaml: line 1: bad {'é' * 50}", f"conf/w{i:05d}.yaml") for i in range(n))
    primary = base.primary
    answers = tuple(replace(a, evidence_omitted=n - 8) if a.id == "M1" else a for a in primary.answers)
    scores = {**base.scores, primary.framework: replace(primary, answers=answers)}
    return replace(base, findings=base.findings + findings, warnings=warnings, scores=scores)


@pytest.fixture(scope="module")
def flooded():  # type: ignore[no-untyped-def]
    return _flooded()


def test_report_counts_what_it_left_out(flooded) -> None:  # type: ignore[no-untyped-def]
    report = build_report(flooded)
    validate_report(report)
    per_signal = {}
    for f in report["findings"]:
        per_signal[f["signal"]] = per_signal.get(f["signal"], 0) + 1
        assert len(f["evidence"]) <= 20
        assert all(len(v) <= 500 for v in f["attrs"].values() if isinstance(v, str))
    assert per_signal["ci.tests"] == MAX_FINDINGS_PER_SIGNAL
    total = {s: sum(1 for f in flooded.findings if f.signal == s) for s in ("ci.tests", "schedule.training")}
    assert min(total.values()) >= 10_000
    assert report["findings_omitted"] == {s: n - MAX_FINDINGS_PER_SIGNAL for s, n in total.items()}
    assert len(report["warnings"]) == MAX_WARNINGS and report["warnings_omitted"] == 10_000 - MAX_WARNINGS
    m1 = next(q for q in report["questions"] if q["id"] == "M1")
    assert m1["evidence_omitted"] == 9_992
    assert any(f.get("evidence_omitted") == 10 for f in report["findings"] if f["signal"] == "ci.tests")


@pytest.mark.parametrize("fmt", sorted(REPORTERS))
def test_every_format_stays_under_4_mib(flooded, fmt: str) -> None:  # type: ignore[no-untyped-def]
    out = get_reporter(fmt)(flooded).encode("utf-8")
    assert len(out) < MAX_REPORT_BYTES, (fmt, len(out))
    text = assert_valid(fmt, out)
    if fmt in ("markdown", "terminal", "html"):
        assert "…and 9," in text, fmt  # "…and 9,950 more" warnings / "…and 9,992 more" evidence


@pytest.mark.parametrize(("text", "kept"), [
    ('client = OpenAI(api_key="sk-proj-4fK9qLm2Xv8TnR3pWz6YbC1dE5gH7jA0")', False),
    ("OPENAI_KEY: sk-ant-api03-AbCdEf0123456789xYzQwErTy", False),
    ('registered_model_name="sk-learn-random-forest-reg-model",', True),  # a model name, no key: no digit in it
])
def test_prefixed_keys_are_redacted_and_names_that_only_share_the_prefix_are_kept(text: str, kept: bool) -> None:
    assert (redact_secrets(text) == text) is kept
