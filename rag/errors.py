"""The library's exceptions: the CLI and the app turn each into one line for the user."""


class RagError(Exception):
    """Anything the user can fix: the message says what is wrong and how to fix it."""


class BadDocument(RagError):
    """A corpus file that cannot be read as a report (empty, binary, undecodable)."""


class IndexNotFound(RagError):
    pass


class IndexCorrupt(RagError):
    pass


class ManifestMismatch(RagError):
    """The index was built with another embedder, chunking or schema."""


class BadQuestion(RagError):
    pass
