"""Start the SER dialogue assistant's chat app (Gradio) on this machine.

    python app.py                                  # http://127.0.0.1:7860, index built on first start
    python app.py --host 0.0.0.0 --port 8080       # or GRADIO_SERVER_NAME / GRADIO_SERVER_PORT
    ASSISTANT_APP_USERNAME=trainer ASSISTANT_APP_PASSWORD=... python app.py   # ask for a login

Thin on purpose: parse flags, load the assistant once (with visible progress), build the app, launch.
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import os
import secrets
import signal
import sys
from pathlib import Path

logger = logging.getLogger("app")

USERNAME_ENV, PASSWORD_ENV = "ASSISTANT_APP_USERNAME", "ASSISTANT_APP_PASSWORD"
SECRET_ENV = "ASSISTANT_APP_SECRET"
ANALYTICS_ENV = "GRADIO_ANALYTICS_CACHE_FREQUENCY"
BLAS_THREADS_ENV = "OPENBLAS_NUM_THREADS"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Flags, with Gradio's own environment variables as defaults.

    >>> parse_args(["--port", "8080"]).port
    8080
    """
    parser = argparse.ArgumentParser(description="The SER dialogue assistant's chat app.")
    parser.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
                        help="address to listen on (env GRADIO_SERVER_NAME; default 127.0.0.1, this machine only)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT", "7860")),
                        help="port (env GRADIO_SERVER_PORT; default 7860)")
    parser.add_argument("--share", action="store_true",
                        default=os.environ.get("GRADIO_SHARE", "").lower() in ("1", "true", "yes"),
                        help="also create a temporary public gradio.live link (needs internet)")
    parser.add_argument("--language", choices=("nl", "en"), default="en",
                        help="interface language until the browser's is known (default en)")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the index from scratch before starting")
    parser.add_argument("--log-level", default=os.environ.get("ASSISTANT_LOG_LEVEL", "INFO"))
    return parser.parse_args(argv)


def login() -> tuple[str, str] | None:
    """(username, password) when both ``ASSISTANT_APP_USERNAME`` and ``ASSISTANT_APP_PASSWORD`` are set."""
    username, password = os.environ.get(USERNAME_ENV, ""), os.environ.get(PASSWORD_ENV, "")
    if bool(username) != bool(password):
        raise SystemExit(f"error: set both {USERNAME_ENV} and {PASSWORD_ENV} for a login, or neither")
    return (username, password) if username else None


def browser_secret(folder: Path) -> str:
    """The key that encrypts the conversations kept in users' browsers: ``ASSISTANT_APP_SECRET``, else one
    made on first start and kept in ``folder/browser-secret`` (so a restart does not lose them).

    >>> import tempfile; folder = Path(tempfile.mkdtemp())
    >>> browser_secret(folder) == browser_secret(folder)
    True
    """
    if os.environ.get(SECRET_ENV):
        return os.environ[SECRET_ENV]
    path = folder / "browser-secret"
    if not path.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(16), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def served_message(local_url: str, share_url: str | None, share: bool) -> str:
    """What the log says once the app serves, in terms of this app's own flags.

    >>> served_message("http://127.0.0.1:7860/", None, False)
    'serving on http://127.0.0.1:7860/ (start with --share for a temporary public link)'
    >>> served_message("http://127.0.0.1:7860/", None, True)
    'serving on http://127.0.0.1:7860/; no public link could be made (--share needs internet)'
    """
    if share_url:
        return f"serving on {local_url} and on {share_url} (temporary public link, from --share)"
    if share:
        return f"serving on {local_url}; no public link could be made (--share needs internet)"
    return f"serving on {local_url} (start with --share for a temporary public link)"


def tune_for_serving() -> None:
    """Spare every answer costs this app gets nothing for; call before numpy or Gradio is imported.

    - numpy's OpenBLAS starts a thread per core for every matrix product, and those threads spin while
      they wait for more: with dozens of questions at once on 2 cores, an answer cost 71 ms of CPU instead
      of 18 ms (50 threads asking in one process). The app's products (a question against the stored vectors) are small,
      so one thread does them as fast (``OPENBLAS_NUM_THREADS``, when set, decides).
    - Gradio's queue recomputes an analytics summary (a pandas group-by over up to 10,000 recorded events)
      at the start and the end of every event: 2-8 ms each, growing with the app's uptime. Once every
      thousand events is plenty for its monitoring page (``GRADIO_ANALYTICS_CACHE_FREQUENCY`` decides).
    - Around every call Gradio tries ``import matplotlib`` (to switch its backend); when matplotlib is not
      installed, each failed import searches the whole ``sys.path`` again. Marking it absent once makes the
      import fail at once, as it would anyway.
    """
    os.environ.setdefault(BLAS_THREADS_ENV, "1")
    os.environ.setdefault(ANALYTICS_ENV, "1000")
    if "matplotlib" not in sys.modules and importlib.util.find_spec("matplotlib") is None:
        sys.modules["matplotlib"] = None  # type: ignore[assignment]  # "import matplotlib" -> ImportError


def load_assistant(rebuild: bool = False):
    """Load the assistant, building or updating the index with a progress bar on the console."""
    from assistant import Assistant
    from assistant.progress import ConsoleProgress

    logger.info("loading the assistant (the index is built or updated on first start)")
    with ConsoleProgress() as progress:
        assistant = Assistant.load(rebuild=rebuild, progress=progress)
    logger.info("index ready: %s", assistant.report.summary())
    return assistant


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    tune_for_serving()
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # Gradio checks its own URLs; not news
    auth = login()
    from assistant import AssistantError
    from assistant.feedback import FeedbackStore, default_db_path
    from assistant.theme import CSS, HEAD
    from assistant.webapp import MAX_THREADS, ChatApp

    try:
        assistant = load_assistant(args.rebuild)
        store = FeedbackStore(default_db_path(assistant.settings.index_dir))
    except AssistantError as exc:
        raise SystemExit(f"error: {exc}") from exc
    logger.info("feedback is stored in %s", store.path)
    chat = ChatApp(assistant, store, browser_secret=browser_secret(store.path.parent))
    demo = chat.blocks(args.language)
    demo.queue(default_concurrency_limit=8)  # the chat's own handlers allow more (webapp.CHAT_CONCURRENCY)
    # A stop request (kill, systemd, docker stop) ends the app like Ctrl-C: the server closes and the
    # temporary export folder is removed.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        # quiet: Gradio's own messages speak of launch(share=True); ours speak of this app's flags.
        demo.launch(server_name=args.host, server_port=args.port, share=args.share, auth=auth,
                    auth_message="SER dialogue assistant" if auth else None, css=CSS, head=HEAD,
                    footer_links=["settings"], show_error=False, quiet=True, prevent_thread_lock=True,
                    max_threads=MAX_THREADS,
                    app_kwargs=chat.app_kwargs())  # the JSON API at /api/*
        logger.info(served_message(demo.local_url, demo.share_url, args.share))
        demo.block_thread()  # returns on Ctrl-C or a stop request, the server closed
    except KeyboardInterrupt:  # a stop request while the server was still starting
        demo.close()
    finally:
        chat.close()


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    main()
