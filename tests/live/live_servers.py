"""Real servers and emulations for the live-probe tests: an ``mlflow server`` (SQLite backend), moto in server mode,
and a Kubernetes API emulation serving recorded response shapes. Each starts on a free loopback port."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from tests.quiet_http import QuietServer

K8S_FIXTURES = Path(__file__).resolve().parent.parent / "data" / "k8s"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def closed_port() -> int:
    """A loopback port nothing listens on (connection refused at once)."""
    return free_port()


@dataclass
class MlflowServer:
    uri: str
    proc: subprocess.Popen[bytes]


def start_mlflow(tmp: Path) -> Iterator[MlflowServer]:
    pytest.importorskip("mlflow", reason="the test extra installs mlflow (pip install -e '.[test]')")
    port = free_port()
    db = tmp / "mlflow.sqlite"
    art = tmp / "artifacts"
    art.mkdir(parents=True, exist_ok=True)
    log = open(tmp / "mlflow-server.log", "wb")  # noqa: SIM115 - closed at teardown
    exe = Path(sys.executable).with_name("mlflow")
    cmd = [str(exe), "server", "--backend-store-uri", f"sqlite:///{db}", "--default-artifact-root", art.as_uri(),
           "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=tmp)
    uri = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                log.flush()
                pytest.fail(f"mlflow server exited {proc.returncode}: {(tmp / 'mlflow-server.log').read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{uri}/health", timeout=2) as r:  # noqa: S310 - loopback test server
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("mlflow server did not answer /health within 90 s")
            time.sleep(0.25)
        yield MlflowServer(uri, proc)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=10)
        try:  # the server's job runner and queue consumers share its group: none outlives the fixture
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        log.close()


# ------------------------------------------------------------------ Kubernetes API emulation


@dataclass
class K8sApi:
    """Serves ``routes`` (path -> (status, JSON body)); paginates lists by ``limit``/``continue``; records requests."""

    routes: dict[str, tuple[int, Any]]
    seen: list[tuple[str, str, str | None]] = field(default_factory=list)
    delay: float = 0.0
    page_size: int | None = None
    server: QuietServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_port}"

    def start(self) -> K8sApi:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server API
                path, _, query = self.path.partition("?")
                path = path.rstrip("/") or "/"
                api.seen.append((self.command, self.path, self.headers.get("Authorization")))
                if api.delay:
                    time.sleep(api.delay)
                status, body = api.routes.get(path, (404, _status(404, "NotFound", f"the server could not find the requested resource ({path})")))
                body = api._page(body, query) if status == 200 else body
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:  # noqa: N802 - a read-only probe never writes
                api.seen.append((self.command, self.path, None))
                self.send_response(405)
                self.end_headers()

            do_PUT = do_PATCH = do_DELETE = do_POST  # noqa: N815

            def log_message(self, *a: Any) -> None:
                pass

        self.server = QuietServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def _page(self, body: Any, query: str) -> Any:
        from urllib.parse import parse_qs

        if not (isinstance(body, dict) and isinstance(body.get("items"), list) and self.page_size):
            return body
        q = parse_qs(query)
        start = int(q.get("continue", ["0"])[0] or 0)
        items = body["items"][start: start + self.page_size]
        more = start + self.page_size < len(body["items"])
        meta = {**body.get("metadata", {}), "continue": str(start + self.page_size) if more else ""}
        return {**body, "items": items, "metadata": meta}

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


def _status(code: int, reason: str, message: str) -> dict[str, Any]:
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message, "reason": reason, "code": code}


def k8s_routes(scenario: str = "cluster") -> dict[str, tuple[int, Any]]:
    """Recorded response shapes: ``tests/data/k8s/<scenario>/*.json``, each file {"path": ..., "status": ..., "body": ...}."""
    routes: dict[str, tuple[int, Any]] = {}
    for f in sorted((K8S_FIXTURES / scenario).glob("*.json")):
        doc = json.loads(f.read_text())
        routes[doc["path"]] = (int(doc.get("status", 200)), _times(doc["body"]))
    return routes


def _times(node: Any) -> Any:
    """``@now-10h`` / ``@now-3d`` in a recorded body becomes that time before now (schedules stay fresh or stale)."""
    from datetime import UTC, datetime, timedelta

    if isinstance(node, dict):
        return {k: _times(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_times(v) for v in node]
    if isinstance(node, str) and node.startswith("@now-"):
        n, unit = int(node[5:-1]), node[-1]
        t = datetime.now(UTC) - (timedelta(hours=n) if unit == "h" else timedelta(days=n))
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    return node


def forbidden(path: str, user: str = "system:serviceaccount:ml:mlscan") -> tuple[int, Any]:
    group_res = path.split("/")
    return 403, _status(403, "Forbidden", f'{group_res[-1]} is forbidden: User "{user}" cannot list resource "{group_res[-1]}" at the cluster scope')


def k8s_client(url: str, token: str = "test-token") -> Any:
    from kubernetes import client

    cfg = client.Configuration(host=url)
    cfg.api_key = {"authorization": f"Bearer {token}"}
    cfg.retries = 0
    return client.ApiClient(cfg)


def write_kubeconfig(path: Path, url: str, token: str, context: str = "test") -> Path:
    path.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": context,
        "clusters": [{"name": "c", "cluster": {"server": url}}],
        "users": [{"name": "u", "user": {"token": token}}],
        "contexts": [{"name": context, "context": {"cluster": "c", "user": "u"}}],
    }))
    return path


Probe = Callable[..., Any]
