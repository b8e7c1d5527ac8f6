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
