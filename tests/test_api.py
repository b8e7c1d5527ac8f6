"""The JSON API over real HTTP on loopback: the app's own Gradio server, launched in this process."""

from __future__ import annotations

import httpx
import pytest

from assistant.feedback import FeedbackStore
from assistant.webapp import ChatApp

from .servers import free_port

pytestmark = pytest.mark.slow

USER, PASSWORD = "trainer", "s3cret-pw"
QUESTION = "Who should I partner with to verify wage information in Pakistan?"


def launch(assistant, tmp_path, auth=None):
    chat = ChatApp(assistant, FeedbackStore(tmp_path / "feedback.sqlite3"), stream_delay=0, export_dir=tmp_path / "x")
    demo = chat.blocks("en")
    demo.launch(server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True, quiet=True, auth=auth,
                app_kwargs=chat.app_kwargs())
    return demo


@pytest.fixture(scope="module")
def api(assistant, tmp_path_factory):
    demo = launch(assistant, tmp_path_factory.mktemp("api"))
    with httpx.Client(base_url=demo.local_url.rstrip("/"), timeout=60, trust_env=False) as client:
        yield client
    demo.close()


@pytest.fixture(scope="module")
def guarded(assistant, tmp_path_factory):
    demo = launch(assistant, tmp_path_factory.mktemp("guarded"), auth=(USER, PASSWORD))
    with httpx.Client(base_url=demo.local_url.rstrip("/"), timeout=60, trust_env=False) as client:
        yield client
    demo.close()


def test_ask_returns_a_cited_answer(api, assistant):
    response = api.post("/api/ask", json={"question": QUESTION, "k": 5})
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/json")
    body = response.json()
    expected = assistant.ask(QUESTION, k=5)
    assert body["answer"] == expected.text and "[1]" in body["answer"]
    assert (body["language"], body["abstained"]) == ("en", False)
    assert "confidence" in body and body["confidence"] == getattr(expected, "confidence", None)
    assert [c["chunk_id"] for c in body["citations"]] == [p.chunk_id for p in expected.citations]
    first = body["citations"][0]
    chunk = {c.id: c for c in assistant.chunks}[first["chunk_id"]]
    assert first["n"] == 1 and first["document"] == chunk.doc_id and first["passage"] == chunk.text
    assert (first["title"], first["section"], first["language"]) == (chunk.title, chunk.section_label, chunk.lang)


def test_follow_up_history_and_abstention(api):
    history = [["Who can help me verify wage information?", "Contact a local trade union. [1]"]]
    body = api.post("/api/ask", json={"question": "And in Pakistan?", "history": history}).json()
    assert not body["abstained"] and "Pakistan" in body["answer"]
    messages = [{"role": "user", "content": "Met wie werk ik samen om lonen te verifiëren?"},
                {"role": "assistant", "content": "Met een vakbond. [1]"}]
    body = api.post("/api/ask", json={"question": "Wie nog meer?", "history": messages}).json()
    assert body["language"] == "nl" and not body["abstained"] and body["citations"]
    alone = api.post("/api/ask", json={"question": "Wie nog meer?"}).json()
    assert alone["abstained"] and alone["citations"] == []
    capital = api.post("/api/ask", json={"question": "What is the capital of Australia?"}).json()
    assert capital["abstained"] and capital["citations"] == []


def test_retrieve_and_health(api, assistant):
    body = api.post("/api/retrieve", json={"question": "vakbondsvrijheid", "k": 3}).json()
    hits = assistant.retrieve("vakbondsvrijheid", k=3)
    assert [p["chunk_id"] for p in body["passages"]] == [h.chunk_id for h in hits]
    assert body["passages"][0]["passage"] == hits[0].text
    lexical = api.post("/api/retrieve", json={"question": "vakbondsvrijheid", "k": 2, "mode": "lexical"}).json()
    assert [p["chunk_id"] for p in lexical["passages"]] == [
        h.chunk_id for h in assistant.retrieve("vakbondsvrijheid", k=2, mode="lexical")]
    health = api.get("/api/health").json()
    assert health["status"] == "ok" and health["passages"] == len(assistant.chunks)
    assert health["vectors"] == assistant.store.count() > health["passages"]


@pytest.mark.parametrize("body,status,message", [
    (b"{not json", 400, "not valid JSON"),
    (b"", 400, "not valid JSON"),
    (b'["a list"]', 400, "JSON object"),
    (b'{"k": 3}', 422, "question: Field required"),
    (b'{"question": 42}', 422, "question: Input should be a valid string"),
    (b'{"question": "vakbond", "k": "five"}', 422, "k: Input should be a valid integer"),
    (b'{"question": "vakbond", "k": 0}', 422, "k: Input should be greater than or equal to 1"),
    (b'{"question": "vakbond", "history": "earlier"}', 422, "history"),
    (b'{"question": "vakbond", "history": [{"role": "system", "content": "x"}]}', 422, "history"),
    (b'{"question": "vakbond", "temperature": 1}', 422, "temperature: Extra inputs are not permitted"),
    (b'{"question": "   "}', 422, "question: the question is empty"),
    (b'{"question": "\\u0000\\u0001\\u0002"}', 422, "binary data or junk"),
])
def test_bad_requests_get_a_4xx_with_a_json_message(api, body, status, message):
    response = api.post("/api/ask", content=body, headers={"content-type": "application/json"})
    assert response.status_code == status, response.text
    assert message in response.json()["error"] and "Traceback" not in response.text


def test_an_over_long_question_is_refused(api, assistant):
    limit = assistant.settings.max_question_chars
    for path in ("/api/ask", "/api/retrieve"):
        response = api.post(path, json={"question": "Why? " * (limit // 4)})
        assert response.status_code == 422
        assert f"keep it under {limit}" in response.json()["error"]
    huge = api.post("/api/ask", content=b'{"question": "' + b"a" * 2_000_000 + b'"}')
    assert huge.status_code == 413 and "error" in huge.json()
    assert api.post("/api/retrieve", json={"question": "vakbond", "mode": "fuzzy"}).status_code == 422


def test_the_apps_login_protects_the_api(guarded):
    for method, path, body in (("POST", "/api/ask", {"question": QUESTION}),
                               ("POST", "/api/retrieve", {"question": "vakbond"}), ("GET", "/api/health", None)):
        refused = guarded.request(method, path, json=body)
        assert refused.status_code == 401 and refused.headers["www-authenticate"].startswith("Basic")
        assert "login required" in refused.json()["error"]
        assert guarded.request(method, path, json=body, auth=("trainer", "wrong")).status_code == 401
        assert guarded.request(method, path, json=body, auth=(USER, PASSWORD)).status_code == 200
    # a browser that logged in to the app uses its session cookie
    assert guarded.post("/login", data={"username": USER, "password": PASSWORD}).status_code == 200
    assert guarded.get("/api/health").status_code == 200
    assert guarded.post("/api/ask", content=b"{oops").status_code == 400  # bad JSON is checked after the login
