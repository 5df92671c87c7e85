"""A local OpenAI-compatible chat-completions server for tests: a tiny rule-based "model".

It answers in the JSON the product asks for by spotting known product names and job titles in
the prompt, so tests can check what the real client code path stores. A prompt containing
MALFORMED gets an answer that breaks the schema.
"""

from __future__ import annotations

import json
import re
import threading
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


class OpenAIStub:
    def __init__(self) -> None:
        self.requests: list[dict] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server API)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                stub.requests.append({"path": self.path, "body": body, "auth": self.headers.get("Authorization")})
                prompt = body["messages"][-1]["content"]
                payload = {
                    "id": f"chatcmpl-{len(stub.requests)}",
                    "object": "chat.completion",
                    "created": 0,
                    "model": body["model"],
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": json.dumps(answer_for(prompt))},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {
                        "prompt_tokens": len(prompt) // 4,
                        "completion_tokens": 30,
                        "total_tokens": len(prompt) // 4 + 30,
                    },
                }
                data = json.dumps(payload).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> OpenAIStub:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
