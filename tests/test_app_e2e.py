"""End to end: `python app.py` as a real process on a free port, driven in Debian's headless Chromium.

Saves screenshots to a temporary folder, or to the folder named by ASSISTANT_SCREENSHOTS (run with
ASSISTANT_SCREENSHOTS=docs/screenshots to refresh the ones shown in the README).
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
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
from .servers import free_port, serving

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
    url = f"http://127.0.0.1:{port}"
    with serving([sys.executable, "app.py"], url, log, 180, cwd=REPO, env=env):
        yield Server(url, root / "feedback.sqlite3", log)


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


def log_in(page) -> None:
    """Log in when the app asks (the first page of the browser does; the cookie stays); wait for the chat."""
    page.locator("#question textarea, input[type=password]").first.wait_for(timeout=30_000)
    if page.locator("input[type=password]").count():
        page.get_by_label("username").fill(USER)
        page.get_by_label("password").fill(PASSWORD)
        page.get_by_role("button", name="Login").click()
    page.locator("#question textarea").wait_for(timeout=30_000)


@pytest.fixture
def page(browser, server):
    """A logged-in page of the app, in a fresh session; fails the test on any dialog (e.g. an alert)."""
    page = browser.new_page()
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(server.url)
    log_in(page)
    page.wait_for_timeout(500)  # the language follows the browser on load
    yield page
    assert page.dialogs == [], f"a dialog fired: {page.dialogs}"
    page.evaluate("localStorage.clear()")  # the conversations kept in this browser: the next test starts afresh
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
    # the comment box sits beside the rated answer, in view, not below the fold
    box, chat = page.locator("#comment textarea").bounding_box(), page.locator("#chat").bounding_box()
    assert box["x"] >= chat["x"] + chat["width"] - 1 and box["y"] < chat["y"] + chat["height"]
    assert box["y"] + box["height"] <= page.viewport_size["height"]
    page.locator("#comment textarea").fill("Exactly the partners I needed <b>thanks</b>")
    page.locator("#send-comment").click()
    notice = page.locator('[data-testid="toast-body"]').filter(has_text="your comment was saved")
    notice.wait_for(timeout=10_000)
    notice.wait_for(state="detached", timeout=10_000)  # the notice closes by itself
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


def test_a_conversation_survives_a_reload_and_a_past_one_reopens_with_its_sources(page, server):
    first_question = "Who should I partner with to verify wage information in Pakistan?"
    answer = ask(page, first_question, 0)
    first_answer = answer.inner_text()
    cards = page.locator("#sources article.source")
    first_cards = cards.count()
    assert first_cards >= 2
    link = cards.first.locator("a.source-link")
    assert link.inner_text() == "Open the SER publication"
    assert link.get_attribute("href") == "https://www.ser.nl/en/themes/irbc/meaningful-dialogue"
    assert link.get_attribute("target") == "_blank"
    page.locator("#past-conversations").get_by_text(first_question).wait_for(timeout=10_000)

    page.reload()
    page.locator("#question textarea").wait_for(timeout=30_000)
    page.locator('#sources .sources-panel[data-turn="0"]').wait_for(timeout=30_000)
    assert page.locator("#chat [data-testid=user]").first.inner_text().strip() == first_question
    assert page.locator("#chat [data-testid=bot]").first.inner_text() == first_answer
    assert page.locator("#sources article.source").count() == first_cards
    assert page.locator("#sources a.source-link").count() == first_cards

    page.locator("#new-conversation").click()
    page.locator("#sources .sources-panel.empty").wait_for(timeout=10_000)
    assert page.locator("#chat [data-testid=user]").count() == 0
    ask(page, "How can I build commitment of suppliers for a dialogue?", 0)
    past = page.locator("#past-conversations")
    past.get_by_text("How can I build commitment of suppliers for a dialogue?").wait_for(timeout=10_000)
    assert past.get_by_text(first_question).count() == 1

    past.get_by_text(first_question).click()
    page.locator("#chat [data-testid=bot]").first.get_by_text(first_answer[:40]).wait_for(timeout=30_000)
    assert page.locator("#chat [data-testid=user]").count() == 1
    assert page.locator("#sources article.source").count() == first_cards
    follow_up = ask(page, "And who else?", 1)
    assert follow_up.locator("a.cite").count() >= 1

    page.locator("#conversation-name textarea, #conversation-name input").first.fill("Wages in Pakistan")
    page.locator("#rename-conversation").click()
    past.get_by_text("Wages in Pakistan").wait_for(timeout=10_000)
    page.reload()
    page.locator('#sources .sources-panel[data-turn="1"]').wait_for(timeout=30_000)
    assert page.locator("#chat [data-testid=user]").count() == 2
    page.locator("#past-conversations").get_by_text("Wages in Pakistan").wait_for(timeout=10_000)
    screenshot(page, "conversations.png")

    page.locator("#delete-conversation").click()
    page.locator("#sources .sources-panel.empty").wait_for(timeout=10_000)
    page.wait_for_timeout(500)
    assert page.locator("#past-conversations").get_by_text("Wages in Pakistan").count() == 0
    assert page.locator("#past-conversations").get_by_text("How can I build commitment").count() == 1


def test_the_header_does_not_break_a_word_on_a_phone(browser, server):
    phone = browser.new_page()
    phone.set_viewport_size({"width": 420, "height": 860})
    try:
        phone.goto(server.url)
        log_in(phone)
        phone.locator("#past-sidebar.open").wait_for(state="detached", timeout=15_000)  # closed on a phone
        for choice in ("English", "Nederlands"):
            phone.get_by_label(choice).check()
            title = phone.locator("#title h1")
            title.get_by_text("SER-dialoogassistent" if choice == "Nederlands" else "SER dialogue assistant").wait_for()
            split = phone.evaluate("""() => {
                const h1 = document.querySelector('#title h1'), text = h1.firstChild, words = [];
                const re = /\\S+/g; let m;
                while ((m = re.exec(text.textContent))) {
                    const range = document.createRange();
                    range.setStart(text, m.index); range.setEnd(text, m.index + m[0].length);
                    const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
                    if (lines.size > 1) words.push(m[0]);
                }
                return words;
            }""")
            assert split == [], f"words broken across lines at 420 px: {split}"
            assert title.bounding_box()["width"] <= 420
        screenshot(phone, "phone.png")
    finally:
        phone.evaluate("localStorage.clear()")
        phone.close()


def test_the_app_logs_its_own_flags(server):
    log = server.log.read_text(errors="replace")
    assert "serving on http://" in log and "--share" in log
    assert "share=True" not in log


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
