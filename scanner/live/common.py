"""What every probe shares: failure classification, bounded concurrent calls, credential-free text, time and
cron arithmetic. No platform library is imported here; exceptions are recognised by their shape."""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ..lazyre import lazy_re
from ..model import redact_secrets
from .interface import Outcome, Resource, Status

MESSAGE_MAX = 200
_SECRET_ENV = lazy_re(r"(?i)(TOKEN|PASSWORD|PASSWD|SECRET|ACCESS_KEY|API_KEY|CREDENTIAL|AUTH)")

_FORBIDDEN_CODES = {
    "accessdenied", "accessdeniedexception", "unauthorizedoperation", "unrecognizedclientexception", "invalidclienttokenid",
    "expiredtoken", "expiredtokenexception", "signaturedoesnotmatch", "authfailure", "permission_denied", "unauthenticated",
    "forbidden", "unauthorized", "notauthorized", "missingauthenticationtokenexception",
}
_THROTTLED_CODES = {"throttling", "throttlingexception", "toomanyrequestsexception", "requestlimitexceeded", "request_limit_exceeded",
                    "slowdown", "provisionedthroughputexceededexception", "too_many_requests"}


def secret_values(extra: Iterable[str] = ()) -> tuple[str, ...]:
    """Values that must never be printed: credential-looking environment variables and ``extra`` (passwords
    from URIs, tokens read from kubeconfig). Short values are left out (they would blank ordinary words)."""
    vals = {v for k, v in os.environ.items() if _SECRET_ENV.search(k) and len(v) >= 6}
    vals |= {v for v in extra if v and len(v) >= 6}
    return tuple(sorted(vals, key=len, reverse=True))


def scrub(text: str, secrets: Sequence[str] = ()) -> str:
    """``text`` on one line, without known secret values, URL credentials or key-looking literals, capped."""
    text = " ".join(str(text).split())
    for s in secrets:
        text = text.replace(s, "***")
    text = _strip_url_userinfo(redact_secrets(text))
    return text if len(text) <= MESSAGE_MAX else text[: MESSAGE_MAX - 1] + "…"


_URL = lazy_re(r"\b[a-z][a-z0-9+.-]*://[^\s'\"<>(),]+", re.I)


def _strip_url_userinfo(text: str) -> str:
    return _URL.sub(lambda m: display_uri(m.group(0)), text)


def display_uri(uri: str) -> str:
    """A URI fit for a report: no user, password, query or fragment (tokens travel there)."""
    try:
        parts = urlsplit(uri)
    except ValueError:
        return "<uri>"
    if not parts.scheme or not parts.netloc:
        return uri.split("?")[0].split("#")[0]
    host = parts.hostname or ""
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = (f"[{host}]" if ":" in host else host) + (f":{port}" if port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def uri_secrets(uri: str | None) -> tuple[str, ...]:
    """The password (and a token-like user) of a URI, for ``scrub``."""
    if not uri:
        return ()
    try:
        parts = urlsplit(uri)
    except ValueError:
        return ()
    return tuple(x for x in (parts.password, parts.username if parts.password is None else None) if x)


def _response_of(exc: BaseException) -> tuple[str, int | None]:
    """(error code, HTTP status) of a botocore ClientError, Kubernetes ApiException or MlflowException."""
    code, http = "", None
    resp = getattr(exc, "response", None)
    if isinstance(resp, dict):
        err = resp.get("Error") or {}
        code = str(err.get("Code") or "")
        meta = resp.get("ResponseMetadata") or {}
        http = meta.get("HTTPStatusCode") if isinstance(meta.get("HTTPStatusCode"), int) else None
    status = getattr(exc, "status", None)
    if isinstance(status, int):
        http = status
    ec = getattr(exc, "error_code", None)
    if isinstance(ec, str) and ec:
        code = ec
    get_http = getattr(exc, "get_http_status_code", None)
    if http is None and callable(get_http):
        try:
            v = get_http()
            http = v if isinstance(v, int) else None
        except Exception:
            http = None
    return code, http


def classify(exc: BaseException) -> Status:
    """Why a call failed, from the exception alone."""
    code, http = _response_of(exc)
    low = code.lower()
    names = {c.__name__ for c in type(exc).__mro__}
    text = str(exc)
    if low in _THROTTLED_CODES or http == 429 or "throttl" in low:
        return Status.THROTTLED
    if low in _FORBIDDEN_CODES or http in (401, 403) or "NoCredentialsError" in names or "PartialCredentialsError" in names:
        return Status.FORBIDDEN
    if "429" in text and ("too many" in text.lower() or "throttl" in text.lower()):
        return Status.THROTTLED
    if isinstance(exc, TimeoutError) or any("Timeout" in n for n in names) or "timed out" in text.lower():
        return Status.TIMEOUT
    if names & {"EndpointConnectionError", "NewConnectionError", "MaxRetryError", "ConnectionError", "ConnectionRefusedError",
                "ProtocolError", "SSLError", "ProxyConnectionError", "ConnectionClosedError"} or isinstance(exc, ConnectionError):
        return Status.UNREACHABLE
    if any(s in text for s in ("Connection refused", "Max retries exceeded", "Name or service not known", "Failed to establish")):
        return Status.UNREACHABLE
    if "unauthorized" in text.lower() or "forbidden" in text.lower() or "(401)" in text or "(403)" in text:
        return Status.FORBIDDEN
    return Status.ERROR


def describe(exc: BaseException, secrets: Sequence[str] = ()) -> str:
    code, http = _response_of(exc)
    head = code or (f"HTTP {http}" if http else type(exc).__name__)
    reason = getattr(exc, "reason", None) if http else None
    body = str(reason) if isinstance(reason, str) and reason else str(exc).split("\n")[0]
    errno = _ERRNO.search(str(exc))  # urllib3/botocore wrap "[Errno 111] Connection refused" in pool and URL details
    if errno:
        body = errno.group(0).rstrip()
    raw = getattr(exc, "body", None)  # a Kubernetes Status: its message says who may not do what
    if isinstance(raw, (str, bytes)) and raw:
        try:
            import json

            msg = json.loads(raw).get("message")
            body = str(msg) if msg else body
        except (ValueError, AttributeError):
            pass
    return scrub(f"{head}: {body}" if body and body != head else head, secrets)


_ERRNO = lazy_re(r"\[Errno -?\d+\] [^'\")\]]+")

Task = Callable[[], tuple[list[Resource], Outcome]]
_local = threading.local()


def tick() -> None:
    """Between calls of a long read (pages, per-object follow-ups): stop once the area's time budget is spent, so a
    slow endpoint never keeps a thread busy after its area was reported as timed out."""
    deadline = getattr(_local, "deadline", None)
    if deadline is not None and time.monotonic() > deadline:
        raise TimeoutError("the probe's time budget ran out")


def _until(task: Task, deadline: float) -> Task:
    def run() -> tuple[list[Resource], Outcome]:
        _local.deadline = deadline
        try:
            return task()
        finally:
            _local.deadline = None

    return run


def run_bounded(tasks: Sequence[tuple[str, str, Task]], *, workers: int, budget: float, secrets: Sequence[str] = ()) -> tuple[
        list[Resource], list[Outcome]]:
    """Run ``(platform, area, task)`` with at most ``workers`` in flight; an area still running when ``budget``
    seconds have passed is a ``timeout`` outcome (its thread is left to its own per-call timeout). A task that
    raises is classified; no exception escapes."""
    resources: list[Resource] = []
    outcomes: list[Outcome] = []
    pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="mlscan-live")
    deadline = time.monotonic() + budget
    futures: dict[Future[tuple[list[Resource], Outcome]], tuple[str, str]] = {pool.submit(_until(t, deadline)): (p, a) for p, a, t in tasks}
    pending = set(futures)
    try:
        while pending:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            done, pending = wait(pending, timeout=left, return_when=FIRST_COMPLETED)
            for f in done:
                platform, area = futures[f]
                try:
                    res, out = f.result()
                except Exception as e:  # a probe bug or an unexpected client error: the area is unknown, the scan goes on
                    res, out = [], Outcome(platform, area, classify(e), describe(e, secrets))
                resources += res
                outcomes.append(out)
        for f in pending:
            platform, area = futures[f]
            f.cancel()
            outcomes.append(Outcome(platform, area, Status.TIMEOUT, f"no answer within the {budget:g} s budget"))
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    order = {(p, a): i for i, (p, a, _t) in enumerate(tasks)}
    outcomes.sort(key=lambda o: order.get((o.platform, o.area), 0))
    return resources, outcomes


def guarded(platform: str, area: str, secrets: Sequence[str], body: Callable[[], list[Resource]]) -> tuple[list[Resource], Outcome]:
    """``body``'s resources with an ``ok`` outcome, or none with the classified failure."""
    try:
        res = body()
    except NotInstalled as e:
        return [], Outcome(platform, area, Status.NOT_INSTALLED, str(e))
    except Exception as e:
        return [], Outcome(platform, area, classify(e), describe(e, secrets))
    return res, Outcome(platform, area, Status.OK, count=len(res))


class NotInstalled(Exception):
    """The API (a CRD, a service feature) is not there: nothing to see, not a failure."""


# ------------------------------------------------------------------ time


def now() -> datetime:
    return datetime.now(UTC)


def parse_time(value: Any) -> datetime | None:
    """An RFC 3339 string, a datetime or epoch milliseconds (MLflow) as an aware UTC datetime."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value / 1000 if value > 1e11 else value, UTC)
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None


def iso(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


_MACROS = {"@yearly": 366, "@annually": 366, "@monthly": 31, "@weekly": 7, "@daily": 1, "@midnight": 1, "@hourly": 1 / 24}


def cron_period_days(expr: str) -> float | None:
    """Rough interval between firings of a cron (5 fields, or AWS ``cron(m h dom mon dow y)`` / ``rate(n unit)``)."""
    e = (expr or "").strip()
    if e.lower() in _MACROS:
        return _MACROS[e.lower()]
    m = re.fullmatch(r"rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)", e, re.I)
    if m:
        n, unit = int(m.group(1)), m.group(2).lower()
        return n / 1440 if unit.startswith("minute") else n / 24 if unit.startswith("hour") else float(n)
    m = re.fullmatch(r"cron\((.*)\)", e, re.I)
    fields = (m.group(1) if m else e).split()
    if len(fields) == 6 and m:
        fields = fields[:5]
    if len(fields) != 5:
        return None
    _minute, hour, dom, mon, dow = fields
    wild = ("*", "?")
    if mon not in wild:
        return 366.0 if "," not in mon and "/" not in mon else 92.0
    if dom not in wild:
        return 31.0
    if dow not in wild:
        return 7.0
    return 1.0 if hour not in wild and "/" not in hour else 1 / 24


def stale(last: datetime | None, cron: str, created: datetime | None, stale_after_days: float, at: datetime | None = None) -> bool | None:
    """True when a schedule that should have fired has not within max(stale_after_days, two periods);
    None when that cannot be told (new object, unknown cron)."""
    at = at or now()
    period = cron_period_days(cron)
    limit = timedelta(days=max(stale_after_days, 2 * period if period else stale_after_days))
    if last is None:
        if created is not None and at - created < limit:
            return None
        return True if created is not None else None
    return at - last > limit


def age_days(t: datetime | None, at: datetime | None = None) -> float | None:
    return round(((at or now()) - t).total_seconds() / 86400, 1) if t else None
