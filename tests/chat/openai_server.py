"""A local HTTP server speaking the OpenAI chat-completions API (`POST /v1/chat/completions`,
server-sent events when streaming), for the OpenAI-compatible path's tests."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

REPLY_PIECES = ["From your data: ", "all good."]


class FakeOpenAI:
    def __init__(self) -> None:
        self.fail = False
        self.requests: list[dict] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                server.requests.append({"path": self.path, "authorization": self.headers.get("Authorization"), **body})
                if server.fail or self.path != "/v1/chat/completions":
                    return self._send(
                        500 if server.fail else 404, "application/json", b'{"error": {"message": "boom"}}'
                    )
                if not body.get("stream"):
                    message = {"role": "assistant", "content": "".join(REPLY_PIECES)}
                    choice = {"index": 0, "message": message, "finish_reason": "stop"}
                    payload = {
                        "id": "x",
                        "object": "chat.completion",
                        "created": 0,
                        "model": body["model"],
                        "choices": [choice],
                    }
                    return self._send(200, "application/json", json.dumps(payload).encode())
                events = [
                    {"index": 0, "delta": {"role": "assistant", "content": piece}, "finish_reason": None}
                    for piece in REPLY_PIECES
                ] + [{"index": 0, "delta": {}, "finish_reason": "stop"}]
                stream = (
                    b"".join(
                        b"data: "
                        + json.dumps(
                            {
                                "id": "x",
                                "object": "chat.completion.chunk",
                                "created": 0,
                                "model": body["model"],
                                "choices": [event],
                            }
                        ).encode()
                        + b"\n\n"
                        for event in events
                    )
                    + b"data: [DONE]\n\n"
                )
                self._send(200, "text/event-stream", stream)

            def _send(self, status: int, content_type: str, data: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def reply(self) -> str:
        return "".join(REPLY_PIECES)

    def __enter__(self) -> FakeOpenAI:
        self.thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
