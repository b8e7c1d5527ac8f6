"""The JSON HTTP API, served by the app's own server (the FastAPI app Gradio runs) next to the chat.

    POST /api/ask       {"question": "...", "history": [["q", "a"], ...], "k": 5}  -> a cited answer
    POST /api/retrieve  {"question": "...", "k": 5, "mode": "hybrid"}             -> the best passages
    GET  /api/health                                                               -> index figures

When the app asks for a login, the API wants the same one: HTTP Basic (``curl -u user:password``) or
the session cookie of a browser that logged in. Bad input gets a 4xx with ``{"error": "..."}``; an
unexpected failure a 500 with a plain message (the details go to the log), never a traceback.

>>> blocks.launch(app_kwargs={"routes": api_routes(assistant)})   # doctest: +SKIP
"""

from __future__ import annotations

import base64
import binascii
import inspect
import json
import logging
import secrets
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.routing import BaseRoute

from . import __version__
from .errors import QuestionError
from .retrieval import Passage

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 1_000_000
REALM = 'Basic realm="SER dialogue assistant", charset="UTF-8"'


class Message(BaseModel):
    """One message of a conversation in the role/content form of OpenAI and Gradio."""

    model_config = ConfigDict(extra="forbid")
    role: Literal["user", "assistant"]
    content: StrictStr


class RetrieveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: StrictStr
    k: StrictInt | None = Field(None, ge=1, le=100)
    mode: Literal["hybrid", "dense", "lexical"] = "hybrid"


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: StrictStr
    #: Earlier turns: [question, answer] pairs, or role/content messages.
    history: list[tuple[StrictStr, StrictStr] | Message] = Field(default_factory=list, max_length=50)
    k: StrictInt | None = Field(None, ge=1, le=100)


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def passage_json(passage: Passage) -> dict[str, Any]:
    """A passage as the API shows it: where it comes from and its text."""
    return {"document": passage.doc_id, "title": passage.title, "section": passage.section,
            "language": passage.lang, "passage": passage.text, "chunk_id": passage.chunk_id,
            "score": round(passage.score, 6)}


def answer_json(answer) -> dict[str, Any]:
    """An Answer as the API shows it; ``citations[n-1]`` is the passage of marker ``[n]``."""
    confidence = getattr(answer, "confidence", None)
    return {"question": answer.question, "answer": answer.text, "language": answer.lang,
            "abstained": answer.abstained, "confidence": confidence, "notice": answer.notice,
            "citations": [{"n": n, **passage_json(p)} for n, p in enumerate(answer.citations, 1)]}


def _error(status: int, message: str, **headers: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers or None)


async def _logged_in(request: Request) -> bool:
    """Whether the request carries the app's login: the Gradio session cookie or HTTP Basic credentials."""
    app = request.app
    auth, dependency = getattr(app, "auth", None), getattr(app, "auth_dependency", None)
    if auth is None and dependency is None:
        return True
    if dependency is not None:
        user = dependency(request)
        return (await user if inspect.isawaitable(user) else user) is not None
    cookie_id = getattr(app, "cookie_id", "")
    token = request.cookies.get(f"access-token-{cookie_id}") or request.cookies.get(f"access-token-unsecure-{cookie_id}")
    if token and token in getattr(app, "tokens", {}):
        return True
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        username, _, password = base64.b64decode(encoded, validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    if callable(auth):
        verdict = auth(username, password)
        return bool(await verdict if inspect.isawaitable(verdict) else verdict)
    expected = auth.get(username)
    return expected is not None and secrets.compare_digest(password.encode(), str(expected).encode())


async def _body(request: Request, model: type[BaseModel]) -> Any:
    if int(request.headers.get("content-length") or 0) > MAX_BODY_BYTES:
        raise ApiError(413, f"the request body is over {MAX_BODY_BYTES} bytes")
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        raise ApiError(413, f"the request body is over {MAX_BODY_BYTES} bytes")
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ApiError(400, f"the body is not valid JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise ApiError(400, "the body must be a JSON object, e.g. {\"question\": \"...\"}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors())
        raise ApiError(422, problems) from exc


def api_routes(assistant) -> list[BaseRoute]:
    """The API's routes over one loaded Assistant, to put first on the app's server.

    >>> [r.path for r in api_routes(assistant)]                  # doctest: +SKIP
    ['/api/ask', '/api/retrieve', '/api/health']
    """
    router = APIRouter(prefix="/api")

    async def handle(request: Request, model: type[BaseModel] | None, work) -> JSONResponse:
        if not await _logged_in(request):
            return _error(401, "login required: pass the app's username and password (HTTP Basic)",
                          **{"WWW-Authenticate": REALM})
        try:
            payload = await _body(request, model) if model else None
            return JSONResponse(await run_in_threadpool(work, payload))
        except ApiError as exc:
            return _error(exc.status, str(exc))
        except QuestionError as exc:
            return _error(422, f"question: {exc}")
        except Exception:  # the edge: log the details, answer plainly, keep serving
            logger.exception("API request %s failed", request.url.path)
            return _error(500, "internal error; the details are in the server log")

    def ask(payload: AskRequest) -> dict[str, Any]:
        history = [m.model_dump() if isinstance(m, Message) else m for m in payload.history]
        return answer_json(assistant.ask(payload.question, history=history, k=payload.k))

    def retrieve(payload: RetrieveRequest) -> dict[str, Any]:
        passages = assistant.retrieve(payload.question, k=payload.k, mode=payload.mode)
        return {"question": payload.question, "passages": [passage_json(p) for p in passages]}

    def health(_: None) -> dict[str, Any]:
        return {"status": "ok", "version": __version__, "documents": len(assistant.documents),
                "passages": len(assistant.chunks), "vectors": assistant.store.count()}

    @router.post("/ask")
    async def ask_route(request: Request) -> JSONResponse:
        return await handle(request, AskRequest, ask)

    @router.post("/retrieve")
    async def retrieve_route(request: Request) -> JSONResponse:
        return await handle(request, RetrieveRequest, retrieve)

    @router.get("/health")
    async def health_route(request: Request) -> JSONResponse:
        return await handle(request, None, health)

    return list(router.routes)
