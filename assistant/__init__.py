"""The SER dialogue assistant: cited bilingual answers over SER guidance on stakeholder dialogue.

>>> from assistant import Assistant
>>> a = Assistant.load()                                          # doctest: +SKIP
>>> a.ask("Who should I partner with to verify wage information?").citations[0].title   # doctest: +SKIP
"""

from .answer import Answer, Answerer, ExtractiveAnswerer
from .chat import Turn
from .config import Settings, load_settings
from .core import Assistant
from .errors import AssistantError, ConfigError, CorpusError, InputError, ModelError, QuestionError, StoreError
from .retrieval import Passage

__all__ = [
    "Answer", "Answerer", "Assistant", "AssistantError", "ConfigError", "CorpusError", "ExtractiveAnswerer",
    "InputError", "ModelError", "Passage", "QuestionError", "Settings", "StoreError", "Turn", "load_settings",
]
__version__ = "0.1.0"
