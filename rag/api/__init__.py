"""The HTTP API beside the chat app, over the same Assistant: OpenAI's chat format under /v1 (rag.api.chat),
the library's JSON under /api (rag.api.routes), the key check and size limits (rag.api.guard), one
error shape (rag.api.errors), and the server that listens while the index is being built (rag.api.serve)."""

from rag.api.app import create_app
from rag.api.guard import LOOPBACK, required_keys
from rag.api.serve import serve

__all__ = ["LOOPBACK", "create_app", "required_keys", "serve"]
