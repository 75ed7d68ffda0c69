"""Real servers on loopback for the HTTP backend's tests.

`start_llama_server` runs llama-cpp-python's own OpenAI-compatible server on the embedded
model; `FaultProxy` sits in front of it and injects the faults a real deployment meets
(429 with Retry-After, 500, slow responses, dropped connections, a refused key). Everything
binds to 127.0.0.1, and every wait is bounded.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass
class LlamaServer:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}/v1"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=15)


def start_llama_server(model: Path, log: Path, *, n_ctx: int = 2048) -> LlamaServer:
    port = free_port()
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE"}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "llama_cpp.server",
                "--model",
                str(model),
                "--host",
                HOST,
                "--port",
                str(port),
                "--n_ctx",
                str(n_ctx),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    server = LlamaServer(process, port, log)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"llama_cpp.server exited: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{server.base_url}/models", timeout=2) as response:
                if response.status == 200:
                    return server
        except OSError:
            time.sleep(0.3)
    server.stop()
    raise RuntimeError(f"llama_cpp.server did not start in 90 s: {log.read_text()[-2000:]}")


@dataclass
class Rule:
    """Inject `fault` into requests whose body contains `match`, `times` times (-1: always)."""

    match: str
    fault: str
    times: int = -1


@dataclass
class FaultProxy:
    """An HTTP proxy that injects scripted faults; `log` lists each request's outcome.

    Faults: "429" (Retry-After), "500", "slow" (waits `slow_s`, then answers), "drop" (closes
    the connection without a response), "401" (the body echoes the Authorization header, as
    careless servers do, so that scrubbing it is tested). Queued faults apply to the next
    requests in order; rules to the requests they match.
    """

    upstream_port: int
    retry_after: str = "1"
    slow_s: float = 3.0
    strip_logprobs: bool = False
    # Answer as OpenAI does for a reasoning model: 400 on max_tokens and on temperature.
    reasoning_model: bool = False
    completion_budgets: list[int] = field(default_factory=list)
    queue: list[str] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    log: list[str] = field(default_factory=list)
    authorizations: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None
        return f"http://{HOST}:{self._server.server_address[1]}/v1"

    def faults(self) -> Counter[str]:
        with self._lock:
            return Counter(outcome for outcome in self.log if outcome != "ok")

    def next_fault(self, body: bytes) -> str:
        text = body.decode("utf-8", errors="replace")
        with self._lock:
            for rule in self.rules:
                if rule.times != 0 and rule.match in text:
                    rule.times -= 1 if rule.times > 0 else 0
                    self.log.append(rule.fault)
                    return rule.fault
            fault = self.queue.pop(0) if self.queue else "ok"
            self.log.append(fault)
            return fault

    def start(self) -> FaultProxy:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                self._forward(b"")

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with proxy._lock:
                    proxy.authorizations.add(self.headers.get("Authorization", ""))
                fault = proxy.next_fault(body)
                if fault == "drop":
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if fault in ("429", "500", "401"):
                    message = {
                        "429": "rate limited, slow down",
                        "500": "internal error",
                        "401": f"invalid key: {self.headers.get('Authorization', '')}",
                    }[fault]
                    extra = {"Retry-After": proxy.retry_after} if fault == "429" else {}
                    self._reply(int(fault), json.dumps({"error": {"message": message}}), extra)
                    return
                if fault == "slow":
                    time.sleep(proxy.slow_s)
                if proxy.reasoning_model and body:
                    body = self._as_reasoning_model(body)
                    if not body:
                        return
                self._forward(body)

            def _as_reasoning_model(self, body: bytes) -> bytes:
                """The request as the upstream takes it, or b"" after replying a 400."""
                request = json.loads(body)
                refusal = None
                if "max_tokens" in request:
                    refusal = (
                        "Unsupported parameter: 'max_tokens' is not supported with this "
                        "model. Use 'max_completion_tokens' instead."
                    )
                elif "temperature" in request:
                    refusal = (
                        "Unsupported value: 'temperature' does not support 0.0 with this "
                        "model. Only the default (1) value is supported."
                    )
                if refusal is not None:
                    with proxy._lock:
                        proxy.log.append("400")
                    self._reply(400, json.dumps({"error": {"message": refusal}}))
                    return b""
                budget = int(request.pop("max_completion_tokens"))
                with proxy._lock:
                    proxy.completion_budgets.append(budget)
                request["max_tokens"] = budget  # what llama.cpp's server understands
                return json.dumps(request).encode()

            def _forward(self, body: bytes) -> None:
                upstream = http.client.HTTPConnection(HOST, proxy.upstream_port, timeout=120)
                try:
                    headers = {"Content-Type": self.headers.get("Content-Type", "application/json")}
                    upstream.request(self.command, self.path, body=body or None, headers=headers)
                    response = upstream.getresponse()
                    payload = response.read()
                    status = response.status
                finally:
                    upstream.close()
                if proxy.strip_logprobs and status == 200 and self.command == "POST":
                    data = json.loads(payload)
                    for choice in data.get("choices", []):
                        choice["logprobs"] = None
                    payload = json.dumps(data).encode()
                self._reply(status, payload.decode())

            def _reply(self, status: int, text: str, extra: dict[str, str] | None = None) -> None:
                data = text.encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for key, value in (extra or {}).items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (a slow response it timed out on)

        server = ThreadingHTTPServer((HOST, 0), Handler)
        server.daemon_threads = True
        self._server = server
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
