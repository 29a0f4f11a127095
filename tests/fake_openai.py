"""A fake OpenAI-compatible server on 127.0.0.1 for tests: it misbehaves on purpose, one way per mode."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@contextmanager
def fake_openai(mode: str, seen: list[str] | None = None) -> Iterator[str]:
    """Serves until the block ends; yields the base URL. Modes: `cut` (the connection closes mid-response), `answer`
    (a well-formed chat completion in DSPy's chat format, the answer copied from the passages it was sent). Each
    request's Authorization header is appended to `seen`."""
    requests: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            if seen is not None:
                seen.append(self.headers.get("Authorization") or "")
            length = int(self.headers.get("Content-Length") or 0)
            requests.append(json.loads(self.rfile.read(length) or b"{}"))
            if mode == "cut":
                body = b'{"id": "x", "object": "chat.completion", "choices": [{"index": 0, "message": {"role": "assi'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body) * 4))
                self.end_headers()
                self.wfile.write(body)
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(2)
            elif mode == "answer":
                body = json.dumps(_completion(requests[-1])).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


def _completion(request: dict) -> dict:
    """A chat completion whose content answers in DSPy's chat format, as the scripted stand-in would."""
    from sleuth.agent.testing import _extractive, output_fields

    messages = request.get("messages") or [{"content": ""}]
    fields = output_fields(messages[0]["content"])
    reply = _extractive(messages[-1]["content"], fields) if "answer" in fields else {}
    parts = []
    for name in fields:
        value = reply.get(name, "" if name != "sub_questions" else [])
        parts.append(f"[[ ## {name} ## ]]\n{json.dumps(value) if not isinstance(value, str) else value}")
    content = "\n\n".join([*parts, "[[ ## completed ## ]]"])
    return {
        "id": "fake",
        "object": "chat.completion",
        "model": request.get("model", "fake"),
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 100, "completion_tokens": 50, "total_tokens": 150},
    }
