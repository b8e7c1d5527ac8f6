"""The public API's arguments besides the question: checked once, at the edge, with one error type.

>>> passages_wanted(None, 5), retrieval_mode("dense"), question_language("nl")
(5, 'dense', 'nl')
>>> passages_wanted(0, 5)
Traceback (most recent call last):
...
assistant.errors.InputError: k must be an integer from 1 to 100, not 0
"""

from __future__ import annotations

import numbers
from typing import Any

from .errors import InputError

MAX_K = 100
MODES = ("hybrid", "dense", "lexical")
LANGUAGES = ("nl", "en")


def passages_wanted(k: Any, default: int) -> int:
    """``k`` as an int from 1 to ``MAX_K``; None means ``default``. Booleans and floats are refused."""
    if k is None:
        return default
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or not 1 <= int(k) <= MAX_K:
        raise InputError(f"k must be an integer from 1 to {MAX_K}, not {_show(k)}")
    return int(k)


def retrieval_mode(mode: Any) -> str:
    """One of hybrid, dense, lexical."""
    if not isinstance(mode, str) or mode not in MODES:
        raise InputError(f"mode must be one of {', '.join(MODES)}, not {_show(mode)}")
    return mode


def question_language(lang: Any) -> str | None:
    """'nl', 'en', or None (detect it from the question)."""
    if lang is not None and (not isinstance(lang, str) or lang not in LANGUAGES):
        raise InputError(f"lang must be 'nl', 'en' or None (detect), not {_show(lang)}")
    return lang


def _show(value: Any) -> str:
    """A short, safe description of a bad value (never a long or binary dump)."""
    if isinstance(value, (bool, int, float)) or value is None:
        return repr(value)
    if isinstance(value, str):
        return repr(value[:20]) + ("…" if len(value) > 20 else "")
    return type(value).__name__
