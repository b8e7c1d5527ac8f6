"""Domain errors. Each message says what went wrong and what to do; the CLI and app print them as is."""


class AssistantError(Exception):
    """Base class of every error the assistant raises on purpose."""


class ConfigError(AssistantError):
    """A setting has a bad value."""


class CorpusError(AssistantError):
    """The manifest or a document is unusable; names the file and the field."""


class ModelError(AssistantError):
    """The embedding model is missing, altered or cannot be loaded."""


class StoreError(AssistantError):
    """The persisted index is unusable."""


class InputError(AssistantError, ValueError):
    """An argument of the public API (question, history, ``k``, ``mode``, ``lang``) is malformed; the
    message says what is allowed. The one error type bad input ever raises."""


class QuestionError(InputError):
    """The question cannot be answered as given (empty, too long, binary)."""
