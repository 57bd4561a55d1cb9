"""A small JSON-over-HTTPS client (standard library only) for the GitHub and GitLab REST APIs.

- Pagination: ``pages()`` follows ``Link: <…>; rel="next"`` and never leaves the API's origin (the token
  is sent to that origin only).
- Rate limits: a 429, or a 403 carrying ``retry-after``, ``x-ratelimit-remaining: 0`` or a "rate limit"
  message, waits (``retry-after`` seconds, else until ``x-ratelimit-reset``/``ratelimit-reset``, else
  60 s) and retries, within a total wait budget; a request made while ``x-ratelimit-remaining`` is 0
  waits for the reset first.
- The token is only ever put in a request header, redirects are not followed; every message that could
  quote a URL or a response is passed through ``redact``.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from .. import __version__
from ..lazyre import lazy_re

_LINK = lazy_re(r'<([^>]+)>\s*;\s*rel="?([^";]+)"?')
MAX_RESPONSE_BYTES = 32 * 1024 * 1024


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """urllib would resend the token to wherever a redirect points: a redirect is an error instead."""

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect())


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status
        self.message = message


@dataclass
class Response:
    status: int
    headers: dict[str, str]  # lower-case names
    data: Any


@dataclass
class Client:
    base_url: str
    auth_header: tuple[str, str]  # (name, value): ("Authorization", "Bearer …") or ("PRIVATE-TOKEN", "…")
    extra_headers: dict[str, str] = field(default_factory=dict)
    timeout: float = 30.0
    max_wait: float = 300.0  # total seconds this client may sleep for rate limits
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time
    waited: float = 0.0
    _reset_at: float | None = None

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("https", "http") or not parts.netloc:
            raise ValueError(f"API URL must be http(s)://host[/path], not {self.base_url!r}")
        self._origin = (parts.scheme, parts.netloc)

    def redact(self, text: str) -> str:
        secret = self.auth_header[1].split(" ", 1)[-1]
        return text.replace(secret, "***") if secret else text

    def url(self, path: str) -> str:
        return path if path.startswith(("https://", "http://")) else f"{self.base_url}/{path.lstrip('/')}"

    def request(self, method: str, path: str, body: Any = None) -> Response:
        url = self.url(path)
        parts = urlsplit(url)
        if (parts.scheme, parts.netloc) != self._origin:
            raise ApiError(0, f"refusing to send the token to another origin: {parts.scheme}://{parts.netloc}")
        data = json.dumps(body).encode("utf-8") if body is not None else None
        while True:
            self._wait_for_reset()
            req = urllib.request.Request(url, data=data, method=method)  # noqa: S310 (http(s) and the API's origin only)
            req.add_header(*self.auth_header)
            req.add_header("User-Agent", f"mlscan/{__version__}")
            for k, v in self.extra_headers.items():
                req.add_header(k, v)
            if data is not None:
                req.add_header("Content-Type", "application/json")
            try:
                with _OPENER.open(req, timeout=self.timeout) as resp:
                    status, headers, raw = resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read(MAX_RESPONSE_BYTES)
            except urllib.error.HTTPError as e:
                status, headers, raw = e.code, {k.lower(): v for k, v in (e.headers or {}).items()}, e.read(MAX_RESPONSE_BYTES)
            except (urllib.error.URLError, OSError, TimeoutError) as e:
                reason = getattr(e, "reason", e)
                raise ApiError(0, self.redact(f"cannot reach {parts.scheme}://{parts.netloc}: {reason}")) from None
            self._note_limits(headers)
            payload = _decode(raw)
            delay = self._retry_delay(status, headers, payload)
            if delay is not None:
                if self.waited + delay > self.max_wait:
                    raise ApiError(status, f"rate limited; waiting {delay:.0f} s more would exceed {self.max_wait:.0f} s")
                self.waited += delay
                self.sleep(delay)
                continue
            if status >= 300:  # 3xx: a redirect, not followed
                msg = payload.get("message") if isinstance(payload, dict) else None
                raise ApiError(status, self.redact(str(msg or payload or "")[:300]))
            return Response(status, headers, payload)

    def pages(self, path: str) -> Iterator[Any]:
        """Every item of a paginated list, following ``Link: rel="next"``."""
        url: str | None = self.url(path)
        seen: set[str] = set()
        while url and url not in seen:
            seen.add(url)
            resp = self.request("GET", url)
            if not isinstance(resp.data, list):
                raise ApiError(resp.status, "expected a list")
            yield from resp.data
            url = next_link(resp.headers.get("link", ""))

    # ---------------------------------------------------------------- rate limits
    def _note_limits(self, headers: dict[str, str]) -> None:
        remaining = headers.get("x-ratelimit-remaining") or headers.get("ratelimit-remaining")
        reset = headers.get("x-ratelimit-reset") or headers.get("ratelimit-reset")
        if remaining is not None and remaining.strip() == "0" and reset and reset.strip().isdigit():
            self._reset_at = float(reset)
        else:
            self._reset_at = None

    def _wait_for_reset(self) -> None:
        if self._reset_at is None:
            return
        delay = max(0.0, self._reset_at - self.clock()) + 1.0
        self._reset_at = None
        if self.waited + delay > self.max_wait:
            raise ApiError(403, f"rate limit exhausted until {self._fmt(delay)}; not waiting that long")
        self.waited += delay
        self.sleep(delay)

    def _retry_delay(self, status: int, headers: dict[str, str], payload: Any = None) -> float | None:
        if status not in (403, 429):
            return None
        retry_after = headers.get("retry-after", "").strip()
        if retry_after.isdigit():
            return float(retry_after)
        if self._reset_at is not None:
            delay = max(0.0, self._reset_at - self.clock()) + 1.0
            self._reset_at = None
            return delay
        message = str(payload.get("message") or "") if isinstance(payload, dict) else ""
        # GitHub's secondary rate limit may come without headers: "wait at least one minute"
        return 60.0 if status == 429 or "rate limit" in message.lower() else None

    @staticmethod
    def _fmt(delay: float) -> str:
        return f"{delay:.0f} s from now"


def next_link(link: str) -> str | None:
    for url, rel in _LINK.findall(link or ""):
        if "next" in rel.split():
            return url
    return None


def _decode(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return raw.decode("utf-8", "replace")[:300]
