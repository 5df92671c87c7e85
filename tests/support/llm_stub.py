"""A local OpenAI-compatible chat-completions server for tests: a tiny rule-based "model".

It answers in the JSON the product asks for by spotting known product names and job titles in
the prompt, so tests can check what the real client code path stores. A prompt containing
MALFORMED gets an answer that breaks the schema.

Faults are scripted per request: ``OpenAIStub(script=fn)`` (or ``stub.script = fn`` later) calls
``fn(prompt, n)`` for the n-th request (0-based); a StubReply it returns replaces the answer (an
HTTP status, a delay, a raw body or other message content), None keeps the normal answer.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PRODUCTS = ("Xero", "Shopify", "NetSuite", "Salesforce", "SAP", "HubSpot", "Stripe", "QuickBooks")
TITLE = re.compile(r"\b(?:Head of [A-Z][a-z]+|[A-Z][a-z]+ (?:Chain )?(?:Manager|Director))\b")


def answer_for(prompt: str) -> dict:
    if "MALFORMED" in prompt:
        return {"industries": "not a list", "mood": "confident"}
    return {
        "industries_served": ["food distribution"] if "food" in prompt.lower() else [],
        "buyer_titles": sorted(set(TITLE.findall(prompt)))[:10],
        "integrations": [p for p in PRODUCTS if re.search(rf"\b{p}\b", prompt)],
        "business_model": "b2b",
    }


@dataclass(frozen=True)
class StubReply:
    """A scripted answer: ``status`` with an error body (not 200), ``content`` as the assistant's
    message instead of the rule-based answer (e.g. text that is not JSON), ``body`` as the raw HTTP
    body, held back ``delay_s`` seconds (a client timeout shorter than that gives up)."""

    status: int = 200
    content: str | None = None
    body: bytes | None = None
    delay_s: float = 0.0
    headers: tuple[tuple[str, str], ...] = ()


Script = Callable[[str, int], StubReply | None]


def error_body(status: int) -> bytes:
    return json.dumps({"error": {"message": f"stub error {status}", "type": "server_error", "code": None}}).encode()


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a request held back past the client's timeout never blocks shutdown


class OpenAIStub:
    def __init__(self, script: Script | None = None) -> None:
        self.requests: list[dict] = []
        self.script = script
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server API)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                stub.requests.append({"path": self.path, "body": body, "auth": self.headers.get("Authorization")})
                prompt = body["messages"][-1]["content"]
                reply = stub.script(prompt, len(stub.requests) - 1) if stub.script else None
                if reply is not None:
                    time.sleep(reply.delay_s)
                    if reply.status != 200 or reply.body is not None:
                        self._send(
                            reply.status,
                            reply.body if reply.body is not None else error_body(reply.status),
                            reply.headers,
                        )
                        return
                payload = {
                    "id": f"chatcmpl-{len(stub.requests)}",
                    "object": "chat.completion",
                    "created": 0,
                    "model": body["model"],
                    "choices": [
                        {
                            "index": 0,
                            "message": {
                                "role": "assistant",
                                "content": reply.content
                                if reply is not None and reply.content is not None
                                else json.dumps(answer_for(prompt)),
                            },
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {
                        "prompt_tokens": len(prompt) // 4,
                        "completion_tokens": 30,
                        "total_tokens": len(prompt) // 4 + 30,
                    },
                }
                self._send(200, json.dumps(payload).encode(), reply.headers if reply is not None else ())

            def _send(self, status: int, data: bytes, headers: tuple[tuple[str, str], ...]) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in headers:
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (its timeout)
                    pass

            def log_message(self, *args: object) -> None:
                pass

        self._server = _Server(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> OpenAIStub:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
