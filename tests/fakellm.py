"""A fake OpenAI-compatible chat endpoint on 127.0.0.1 for the tests of the optional language-model answers."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, HTTPServer


@contextmanager
def chat_server(reply: Callable[[dict], str]) -> Iterator[tuple[str, list[dict]]]:
    """Serve ``/v1/chat/completions`` answering each request body with ``reply(body)``; yields (url, the request
    bodies received so far)."""
    seen: list[dict] = []

    class Chat(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            seen.append(body)
            data = json.dumps({"choices": [{"message": {"role": "assistant", "content": reply(body)}}]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *a):
            pass

    srv = HTTPServer(("127.0.0.1", 0), Chat)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{srv.server_port}/v1/chat/completions", seen
    finally:
        srv.shutdown()
        srv.server_close()
