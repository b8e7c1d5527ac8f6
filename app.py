"""Start the SER dialogue assistant's chat app (Gradio) on this machine.

    python app.py                                  # http://127.0.0.1:7860, index built on first start
    python app.py --host 0.0.0.0 --port 8080       # or GRADIO_SERVER_NAME / GRADIO_SERVER_PORT
    ASSISTANT_APP_USERNAME=trainer ASSISTANT_APP_PASSWORD=... python app.py   # ask for a login

Thin on purpose: parse flags, load the assistant once (with visible progress), build the app, launch.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal

logger = logging.getLogger("app")

USERNAME_ENV, PASSWORD_ENV = "ASSISTANT_APP_USERNAME", "ASSISTANT_APP_PASSWORD"


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
    chat = ChatApp(assistant, store)
    demo = chat.blocks(args.language)
    demo.queue(default_concurrency_limit=8)  # the chat's own handlers allow more (webapp.CHAT_CONCURRENCY)
    # A stop request (kill, systemd, docker stop) ends the app like Ctrl-C: the server closes and the
    # temporary export folder is removed.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        demo.launch(server_name=args.host, server_port=args.port, share=args.share, auth=auth,
                    auth_message="SER dialogue assistant" if auth else None, css=CSS, head=HEAD,
                    footer_links=["settings"], show_error=False, max_threads=MAX_THREADS)
    finally:
        chat.close()


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    main()
