"""A local HTTP server speaking Ollama's chat API (`POST /api/chat`), for the LLM path's tests.

Streaming requests get NDJSON chunks with chunked transfer encoding, as Ollama sends them;
non-streaming ones one JSON object. `mode` makes it fail: "error" answers 500 with Ollama's
error body, "drop" closes the connection after two chunks, mid-answer.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

REPLY_PIECES = ["Your portfolio ", "looks ", "fine, ", "says the model."]


def _chunk(payload: dict) -> bytes:
    return (json.dumps(payload) + "\n").encode()


class FakeOllama:
    def __init__(self) -> None:
        self.mode = "ok"
        self.requests: list[dict] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                server.requests.append({"path": self.path, **body})
                if self.path != "/api/chat":
                    return self._send_json(404, {"error": "not found"})
                if server.mode == "error":
                    return self._send_json(500, {"error": "llama runner process has terminated"})
                model = body.get("model", "")
                if not body.get("stream", True):
                    message = {"role": "assistant", "content": "".join(REPLY_PIECES)}
                    return self._send_json(200, {"model": model, "message": message, "done": True, **_stats()})
                self.send_response(200)
                self.send_header("Content-Type", "application/x-ndjson")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for number, piece in enumerate(REPLY_PIECES):
                    if server.mode == "drop" and number == 2:
                        self.wfile.flush()
                        self.close_connection = True
                        self.connection.shutdown(2)  # no terminating chunk: a cut stream
                        return
                    self._write_chunk(
                        _chunk({"model": model, "message": {"role": "assistant", "content": piece}, "done": False})
                    )
                final = {"model": model, "message": {"role": "assistant", "content": ""}, "done": True, **_stats()}
                self._write_chunk(_chunk(final))
                self.wfile.write(b"0\r\n\r\n")

            def _write_chunk(self, data: bytes) -> None:
                self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                self.wfile.flush()

            def _send_json(self, status: int, payload: dict) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def reply(self) -> str:
        return "".join(REPLY_PIECES)

    def chat_requests(self) -> list[dict]:
        return [r for r in self.requests if r["path"] == "/api/chat"]

    def __enter__(self) -> FakeOllama:
        self.thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _stats() -> dict:
    return {
        "created_at": "2026-11-20T18:00:00Z",
        "done_reason": "stop",
        "total_duration": 1000,
        "load_duration": 10,
        "prompt_eval_count": 12,
        "prompt_eval_duration": 100,
        "eval_count": 4,
        "eval_duration": 100,
    }
