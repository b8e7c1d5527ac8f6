"""Settings: defaults in code, environment variables, keyword arguments; bad values named."""

from pathlib import Path

import pytest

from assistant.config import BUNDLED_MODEL, load_settings
from assistant.errors import ConfigError


def test_defaults():
    settings = load_settings()
    assert settings.corpus_dir == Path("corpus") and settings.index_dir == Path("index")
    assert settings.embedding_model == BUNDLED_MODEL


def test_environment_and_keywords(monkeypatch, tmp_path):
    monkeypatch.setenv("ASSISTANT_CORPUS_DIR", str(tmp_path / "c"))
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(tmp_path / "i"))
    monkeypatch.setenv("ASSISTANT_EMBEDDING_MODEL", "intfloat/multilingual-e5-small")
    settings = load_settings(k=3)
    assert settings.corpus_dir == tmp_path / "c" and settings.index_dir == tmp_path / "i"
    assert settings.embedding_model == "intfloat/multilingual-e5-small" and settings.k == 3
    assert load_settings(index_dir=tmp_path / "kw").index_dir == tmp_path / "kw"  # keywords beat the environment


@pytest.mark.parametrize("overrides,field", [({"k": 0}, "k"), ({"no_such_setting": 1}, "no_such_setting")])
def test_bad_values_are_named(overrides, field):
    with pytest.raises(ConfigError, match=field):
        load_settings(**overrides)


def test_bad_environment_value_is_named(monkeypatch):
    monkeypatch.setenv("ASSISTANT_K", "many")
    with pytest.raises(ConfigError, match="k"):
        load_settings()
