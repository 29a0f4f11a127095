"""A fake OpenAI-compatible server on 127.0.0.1 for tests: it misbehaves on purpose, one way per mode."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@contextmanager
def fake_openai(mode: str, seen: list[str] | None = None, bodies: list[dict] | None = None) -> Iterator[str]:
    """Serves until the block ends; yields the base URL. Modes: `cut` (the connection closes mid-response), `answer`
    (a well-formed chat completion in DSPy's chat format, the answer copied from the passages it was sent; streamed as
    server-sent events when the request asks for `stream`), `slow` (the same after half a second), `stream-cut` (a
    streamed answer whose connection closes a third of the way in), and the
    faults: `429` (rate limited, Retry-After one hour), `500` and `503` (server errors), `400` (a bad request: not
    worth retrying), `hang` (accepts the request and never answers), `malformed` (HTTP 200 whose body is not
    JSON), `empty` (a completion with no content). Each request's Authorization header is appended to `seen`, so its
    length counts the requests, and each request's body to `bodies`. A request with a `response_format` is answered
    with a JSON object, as a server that enforces the schema would."""
    requests: list[dict] = [] if bodies is None else bodies

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
            elif mode in {"answer", "slow"} and requests[-1].get("stream"):
                self._stream(_completion(requests[-1]))
            elif mode in {"answer", "slow"}:
                if mode == "slow":
                    release.wait(0.5)
                self._send(200, json.dumps(_completion(requests[-1])).encode())
            elif mode == "stream-cut":  # streams a third of the answer, then the connection closes
                self._stream(_completion(requests[-1]), cut=True)
            elif mode in {"429", "500", "503", "400"}:
                error = {"error": {"message": f"fake {mode}", "type": "server_error", "code": mode}}
                self._send(int(mode), json.dumps(error).encode(), {"Retry-After": "3600"} if mode == "429" else {})
            elif mode == "hang":
                release.wait(60)
            elif mode == "malformed":
                self._send(200, b'{"id": "x", "choices": [{"message": {"content": "[[ ## answer')
            elif mode == "empty":
                reply = _completion(requests[-1])
                reply["choices"][0]["message"]["content"] = ""
                self._send(200, json.dumps(reply).encode())

        def _stream(self, reply: dict, cut: bool = False) -> None:
            """The reply as server-sent events, a few characters a chunk (`stream: true`); `cut` stops a third of
            the way in and closes the connection."""
            content = reply["choices"][0]["message"]["content"]
            pieces = [content[i : i + 7] for i in range(0, len(content), 7)]
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            for n, piece in enumerate(pieces):
                if cut and n == len(pieces) // 3:
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                delta = {"role": "assistant", "content": piece} if n == 0 else {"content": piece}
                chunk = {
                    "id": "fake",
                    "object": "chat.completion.chunk",
                    "model": reply["model"],
                    "choices": [{"index": 0, "delta": delta, "finish_reason": None}],
                }
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.flush()
            end = {
                "id": "fake",
                "object": "chat.completion.chunk",
                "model": reply["model"],
                "usage": reply["usage"],
                "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
            }
            self.wfile.write(f"data: {json.dumps(end)}\n\ndata: [DONE]\n\n".encode())
            self.wfile.flush()
            self.close_connection = True

        def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

    release = threading.Event()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        release.set()
        server.shutdown()
        server.server_close()


def _completion(request: dict) -> dict:
    """A chat completion whose content answers in DSPy's chat format, as the scripted stand-in would."""
    from sleuth.agent.llm.testing import _extractive, output_fields

    messages = request.get("messages") or [{"content": ""}]
    fields = output_fields(messages[0]["content"])
    reply = _extractive(messages[-1]["content"], fields) if "answer" in fields else {}
    values = {name: reply.get(name, "" if name != "sub_questions" else []) for name in fields}
    if request.get("response_format"):
        return _reply(request, json.dumps(values))
    parts = [f"[[ ## {k} ## ]]\n{v if isinstance(v, str) else json.dumps(v)}" for k, v in values.items()]
    return _reply(request, "\n\n".join([*parts, "[[ ## completed ## ]]"]))


def _reply(request: dict, content: str) -> dict:
    return {
        "id": "fake",
        "object": "chat.completion",
        "model": request.get("model", "fake"),
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 100, "completion_tokens": 50, "total_tokens": 150},
    }
