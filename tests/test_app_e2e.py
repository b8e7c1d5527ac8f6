"""End to end: `python app.py` as a real process on a free port, driven in Debian's headless Chromium.

Saves screenshots to a temporary folder, or to the folder named by ASSISTANT_SCREENSHOTS (run with
ASSISTANT_SCREENSHOTS=docs/screenshots to refresh the ones shown in the README).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from .conftest import REPO

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = Path(os.environ.get("ASSISTANT_SCREENSHOTS") or tempfile.mkdtemp(prefix="screenshots-"))
USER, PASSWORD = "trainer", "dialoog-2025"
ANSWER_TIMEOUT = 60_000


@dataclass(frozen=True)
class Server:
    url: str
    feedback_db: Path
    log: Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(assistant, shared_dirs, tmp_path_factory):
    """The app as users start it, with the embedded defaults pointed at temp folders (a copy of the built index)."""
    corpus, index = shared_dirs
    root = tmp_path_factory.mktemp("e2e")
    shutil.copytree(index, root / "index")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASSISTANT_", "GRADIO_"))}
    env.update({
        "ASSISTANT_CORPUS_DIR": str(corpus), "ASSISTANT_INDEX_DIR": str(root / "index"),
        "ASSISTANT_FEEDBACK_DB": str(root / "feedback.sqlite3"), "GRADIO_SERVER_PORT": str(port),
        "GRADIO_ANALYTICS_ENABLED": "False", "ASSISTANT_APP_USERNAME": USER, "ASSISTANT_APP_PASSWORD": PASSWORD,
        "NO_PROXY": "127.0.0.1,localhost",
    })
    log = root / "app.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([sys.executable, "app.py"], cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            if process.poll() is not None:
                pytest.fail(f"app.py exited with {process.returncode}:\n{log.read_text(errors='replace')}")
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"app.py did not serve within 180 s:\n{log.read_text(errors='replace')}")
            time.sleep(0.5)
        yield Server(url, root / "feedback.sqlite3", log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (apt-get install -y chromium; .ci/run does this)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=str(CHROMIUM), headless=True,
            args=CHROMIUM_FLAGS, viewport={"width": 1400, "height": 1000}, locale="en-GB")
        yield context
        context.close()


@pytest.fixture
def page(browser, server):
    """A logged-in page of the app, in a fresh session; fails the test on any dialog (e.g. an alert)."""
    page = browser.new_page()
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(server.url)
    page.locator("#question textarea, input[type=password]").first.wait_for(timeout=30_000)
    if page.locator("input[type=password]").count():  # the first page of the browser logs in; the cookie stays
        page.get_by_label("username").fill(USER)
        page.get_by_label("password").fill(PASSWORD)
        page.get_by_role("button", name="Login").click()
    page.locator("#question textarea").wait_for(timeout=30_000)
    page.wait_for_timeout(500)  # the language follows the browser on load
    yield page
    assert page.dialogs == [], f"a dialog fired: {page.dialogs}"
    page.close()


def ask(page, question: str, turn: int):
    """Type a question, send it, and wait until its answer has finished streaming (its sources are shown)."""
    page.locator("#question textarea").fill(question)
    page.locator("#question textarea").press("Enter")
    page.locator(f'#sources .sources-panel[data-turn="{turn}"]').wait_for(timeout=ANSWER_TIMEOUT)
    return page.locator("#chat [data-testid=bot]").nth(turn)


def screenshot(page, name: str, locator=None) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.mouse.move(1, 1)  # no hover effects in the pictures
    page.wait_for_timeout(300)
    (locator or page).screenshot(path=str(SCREENSHOTS / name))
    assert (SCREENSHOTS / name).stat().st_size > 10_000


def test_english_answer_with_citations_open_a_source_and_give_feedback(page, server):
    answer = ask(page, "Who should I partner with to verify wage information in Pakistan?", 0)
    markers = answer.locator("a.cite")
    assert markers.count() >= 2
    text = answer.inner_text()
    assert "SER guidance" in text or "SER documents" in text
    cards = page.locator("#sources article.source")
    numbers = sorted({int(m) for m in re.findall(r"\[(\d+)\]", text)})
    assert cards.count() == len(numbers) == max(numbers)
    assert page.locator("#sources mark").count() >= 1
    assert "Who to partner up with?" in cards.first.inner_text() and "English" in cards.first.inner_text()
    screenshot(page, "chat-en.png")

    last = markers.nth(markers.count() - 1)
    target = last.get_attribute("href").lstrip("#")
    last.click()
    source = page.locator(f"#{target}")
    source.wait_for()
    page.wait_for_function(f"document.getElementById('{target}').classList.contains('flash')")
    assert source.is_visible()
    full = page.locator("#sources details.full-section").first
    full.locator("summary").click()
    assert full.get_attribute("open") is not None
    passage_text = full.locator("xpath=..").locator(".passage").inner_text()
    assert len(full.locator(".section-text").inner_text()) > len(passage_text)
    screenshot(page, "sources.png", page.locator("#sources-column"))

    page.locator("#chat button[aria-label=Like]").last.click()
    page.locator("#comment textarea").wait_for()
    page.locator("#comment textarea").fill("Exactly the partners I needed <b>thanks</b>")
    page.locator("#send-comment").click()
    row = None
    for _ in range(40):
        with sqlite3.connect(server.feedback_db) as connection:
            row = connection.execute(
                "SELECT rating, comment, question, answer, citations, version FROM feedback").fetchone()
        if row and row[1]:
            break
        time.sleep(0.25)
    assert row is not None, "no feedback row in SQLite"
    rating, comment, question, answer_text, citations, version = row
    assert (rating, comment) == ("up", "Exactly the partners I needed <b>thanks</b>")
    assert question == "Who should I partner with to verify wage information in Pakistan?"
    assert answer_text.splitlines()[1].startswith("- ") and "who-to-partner-up-with" in citations and version


def test_dutch_interface_question_follow_up_and_export(page):
    page.get_by_label("Nederlands").check()
    page.get_by_role("button", name="Verstuur").wait_for()
    # Gradio relabels the components one update at a time: wait (up to 30 s) for the tabs too.
    page.get_by_role("tab", name="Partnerkeuze").wait_for(state="visible")
    answer = ask(page, "Met wie werk ik samen om lonen te verifiëren?", 0)
    assert answer.locator("a.cite").count() >= 1
    assert re.match(r"(Voor “|Volgens de SER-documenten)", answer.inner_text())
    assert "Nederlands" in page.locator("#sources article.source").first.inner_text()
    follow_up = ask(page, "Wie nog meer?", 1)
    assert follow_up.locator("a.cite").count() >= 1, follow_up.inner_text()
    screenshot(page, "chat-nl.png")

    page.get_by_role("tab", name="Export voor trainers").click()
    page.locator("#export-conv").click()
    files = page.locator("#export-files")
    files.get_by_text(re.compile(r"\.docx$")).wait_for(timeout=30_000)
    assert files.get_by_text(re.compile(r"\.md$")).count() == 1


def test_html_in_a_question_shows_as_text_and_long_input_is_refused(page):
    for turn, hostile in enumerate(["<script>alert(1)</script>", "<img src=x onerror=alert(1)> wie helpt?"]):
        ask(page, hostile, turn)
        assert page.locator("#chat [data-testid=user]").nth(turn).inner_text().strip() == hostile
        assert hostile in page.locator("#sources .sources-for").inner_text()
    assert page.locator("#chat script, #chat img[src=x], #sources script, #sources img").count() == 0
    page.wait_for_timeout(500)
    assert page.dialogs == []

    page.locator("#question textarea").fill("Why? " * 500)
    page.locator("#question textarea").press("Enter")
    page.get_by_text("Please keep it under 2,000 characters").wait_for(timeout=10_000)
    assert page.locator("#chat [data-testid=user]").count() == 2
    assert len(page.locator("#question textarea").input_value()) > 2000  # kept, to be shortened


def test_partner_finder_shows_cited_partners_example_and_tips(page):
    page.get_by_role("tab", name="Partner finder").click()
    page.locator("#purpose").get_by_text("Accessing a network of relevant stakeholders").click()
    page.locator("#topic input, #topic textarea").first.fill("local communities")
    page.locator("#show-partners").click()
    result = page.locator("#partner-result .partner-result")
    result.get_by_text("matches “local communities”").wait_for(timeout=30_000)
    assert result.locator(".partner-types li").first.inner_text().startswith("Looking to engage with local communities")
    assert result.locator("a.cite").count() >= 3
    assert result.locator("article.source").count() == len(set(
        a.get_attribute("href") for a in result.locator("a.cite").all()))
    assert result.get_by_text("Practical example").count() >= 1
    screenshot(page, "partner-finder.png")


def test_the_app_asks_for_the_login_from_the_environment(server):
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{server.url}/config", timeout=10)
    assert refused.value.code in (401, 403)
    wrong = urllib.parse.urlencode({"username": USER, "password": "wrong"}).encode()
    with pytest.raises(urllib.error.HTTPError) as denied:
        urllib.request.urlopen(f"{server.url}/login", data=wrong, timeout=10)
    assert denied.value.code in (400, 401, 403)
    right = urllib.parse.urlencode({"username": USER, "password": PASSWORD}).encode()
    with urllib.request.urlopen(f"{server.url}/login", data=right, timeout=10) as response:
        assert response.status == 200


def test_an_english_question_on_the_sindh_case_shows_english_marked_and_the_dutch_original(page):
    answer = ask(page, "Which organisations told the companies that the minimum wage in Sindh would go up?", 0)
    text = answer.inner_text()
    assert "unofficial translation" in text
    assert "minimum wage" in text.lower() and "minimumloon" not in text.lower()  # English text, not Dutch
    card = page.locator("#sources article.source").first
    assert "Dutch" in card.locator(".source-lang").inner_text()
    assert card.locator(".translation blockquote").count() >= 1  # the English shown in the answer …
    marked = card.locator(".passage mark")
    assert marked.count() >= 1 and re.search(r"\b(de|het|een|van)\b", marked.first.inner_text())  # … its Dutch original
    assert "Confidence" in page.locator("#sources .confidence").inner_text()
    screenshot(page, "translation.png", page.locator("#sources-column"))
