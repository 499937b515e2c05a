"""ragqa's own exception hierarchy.

Library code raises these; only the edges (CLI, HTTP app) turn them into exit codes and
HTTP statuses.
"""


class RagqaError(Exception):
    """Base class for every error ragqa raises on purpose."""


class DocumentError(RagqaError):
    """A document cannot be read, decoded or parsed. The message names the file."""


class EmptyCorpusError(RagqaError):
    """The corpus folder holds no indexable document."""


class QueryError(RagqaError):
    """A question (or search parameter) is unusable, e.g. empty."""


class UnknownDocumentError(RagqaError):
    """No such document in the corpus or the index (a search filter, a read, a delete)."""


class IndexMissingError(RagqaError):
    """No index has been built at the given directory yet."""


class IndexCorruptError(RagqaError):
    """An index directory is incomplete or inconsistent with its manifest."""


class ModelMismatchError(RagqaError):
    """The index was built with another embedding model than the one loaded."""


class ModelUnavailableError(RagqaError):
    """The embedding model cannot be found locally, downloaded, or replaced by the fallback."""


class IndexBusyError(RagqaError):
    """Another process is writing the index right now."""


class IndexWriteError(RagqaError):
    """The index could not be written (disk full, quota, file size limit); nothing served
    changed."""


class ConfigError(RagqaError):
    """A setting is invalid. The message names the setting (its environment variable) and
    what it accepts."""


class ModelFileError(ModelUnavailableError):
    """A model file is truncated or corrupted. The message names the file."""


class MissingExtraError(ConfigError):
    """A setting needs an optional extra that is not installed (e.g. ``RAGQA_STORE=postgres``
    without the ``postgres`` extra). The message names the package and the install command."""
