"""One Assistant serves the app's concurrent requests (Gradio runs handlers in a thread pool)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from assistant.evaluation import load_cases

from .conftest import REPO


def test_concurrent_asks_get_the_answers_they_get_alone(assistant):
    # No lock guards the retriever, the model or the language detector: answers asked from eight threads
    # at once must be exactly those asked one by one (and none may fail).
    questions = [case.question for case in load_cases(REPO / "eval" / "cases.jsonl")][:40]
    alone = [assistant.ask(q).text for q in questions]
    with ThreadPoolExecutor(max_workers=8) as pool:
        together = list(pool.map(lambda q: assistant.ask(q).text, questions * 2))
    assert together == alone * 2
