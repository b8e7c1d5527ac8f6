"""app.py's flags and login, without starting anything."""

from __future__ import annotations

import pytest

import app


def test_defaults_are_local_and_gradio_environment_variables_work(monkeypatch):
    monkeypatch.delenv("GRADIO_SERVER_PORT", raising=False)
    monkeypatch.delenv("GRADIO_SERVER_NAME", raising=False)
    monkeypatch.delenv("GRADIO_SHARE", raising=False)
    args = app.parse_args([])
    assert (args.host, args.port, args.share) == ("127.0.0.1", 7860, False)
    monkeypatch.setenv("GRADIO_SERVER_PORT", "8123")
    monkeypatch.setenv("GRADIO_SERVER_NAME", "0.0.0.0")
    args = app.parse_args([])
    assert (args.host, args.port) == ("0.0.0.0", 8123)
    assert app.parse_args(["--port", "9000", "--host", "localhost", "--share"]).port == 9000
    assert app.parse_args(["--share"]).share is True


def test_login_needs_both_username_and_password(monkeypatch):
    assert app.login() is None
    monkeypatch.setenv(app.USERNAME_ENV, "trainer")
    with pytest.raises(SystemExit, match="ASSISTANT_APP_PASSWORD"):
        app.login()
    monkeypatch.setenv(app.PASSWORD_ENV, "s3cret")
    assert app.login() == ("trainer", "s3cret")


def test_the_log_speaks_of_the_apps_own_share_flag():
    for message in (app.served_message("http://127.0.0.1:7860/", None, False),
                    app.served_message("http://127.0.0.1:7860/", None, True),
                    app.served_message("http://127.0.0.1:7860/", "https://abc.gradio.live", True)):
        assert "--share" in message and "share=True" not in message and "http://127.0.0.1:7860/" in message
    assert "https://abc.gradio.live" in app.served_message("http://x/", "https://abc.gradio.live", True)


def test_the_browser_secret_is_kept_across_restarts_unless_the_environment_gives_one(tmp_path, monkeypatch):
    first = app.browser_secret(tmp_path / "data")
    assert len(first) == 32 and app.browser_secret(tmp_path / "data") == first
    assert oct((tmp_path / "data" / "browser-secret").stat().st_mode & 0o777) == "0o600"
    assert app.browser_secret(tmp_path / "other") != first
    monkeypatch.setenv(app.SECRET_ENV, "from-the-environment")
    assert app.browser_secret(tmp_path / "data") == "from-the-environment"
