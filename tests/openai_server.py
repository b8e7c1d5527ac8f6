"""A real HTTP server on loopback that speaks the OpenAI chat-completions protocol, with scripted replies.

No language model can run here, so tests script what a model would say. Each request takes the next
script from the queue (or the default): the reply text, a delay, an HTTP error status, or a malformed
body. Streaming (server-sent events) and plain JSON replies are both served, as real servers do.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from dataclasses import dataclass
from typing import Callable, Union
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Script:
    """One scripted reply; ``content`` may be a function of the request body (to quote its passages)."""

    content: Union[str, Callable[[dict], str]] = ""
    delay: float = 0.0
    status: int = 200
    malformed: bool = False


class FakeOpenAI:
    """Start with ``with FakeOpenAI() as server:``; ``server.base_url`` goes into ASSISTANT_LLM_BASE_URL."""

    def __init__(self) -> None:
        self.scripts: queue.Queue[Script] = queue.Queue()
        self.default = Script("")
        self.requests: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                outer.requests.append(body)
                try:
                    script = outer.scripts.get_nowait()
                except queue.Empty:
                    script = outer.default
                if script.delay:
                    time.sleep(script.delay)
                content = script.content(body) if callable(script.content) else script.content
                if script.status != 200:
                    self._send(script.status, "application/json",
                               json.dumps({"error": {"message": "scripted failure", "type": "server_error"}}))
                elif script.malformed:
                    self._send(200, "application/json", "{this is not json")
                elif body.get("stream"):
                    self._stream(content, body.get("model", "fake"))
                else:
                    self._send(200, "application/json", json.dumps({
                        "id": "chatcmpl-1", "object": "chat.completion", "created": int(time.time()),
                        "model": body.get("model", "fake"),
                        "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                                     "finish_reason": "stop"}],
                        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}))

            def _send(self, status: int, kind: str, text: str) -> None:
                data = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, content: str, model: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                pieces = [content[i:i + 12] for i in range(0, len(content), 12)] or [""]
                for n, piece in enumerate(pieces):
                    delta = {"role": "assistant", "content": piece} if n == 0 else {"content": piece}
                    self._event({"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 0, "model": model,
                                 "choices": [{"index": 0, "delta": delta, "finish_reason": None}]})
                self._event({"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 0, "model": model,
                             "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()

            def _event(self, payload: dict) -> None:
                self.wfile.write(f"data: {json.dumps(payload)}\n\n".encode())
                self.wfile.flush()

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def script(self, *scripts: Script) -> None:
        for s in scripts:
            self.scripts.put(s)

    def __enter__(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
