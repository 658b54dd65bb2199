"""Domain exceptions. Services raise these; labelhub.api_errors maps them to HTTP in one place."""

import logging

logger = logging.getLogger(__name__)


class DomainError(Exception):
    status_code = 400
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class NotAllowed(DomainError):
    status_code = 403
    code = "forbidden"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class FileMissing(DomainError):
    """A stored file the database names is gone (deleted by hand, a lost volume, a bucket
    emptied): the client gets a 404 that says so, and the operator a log line, not a 500."""

    status_code = 404
    code = "file_missing"

    def __init__(self, name: str) -> None:
        # The client is not told the storage name; the operator's log is, to restore the file.
        logger.error("stored file missing: %s", name)
        super().__init__("The stored file is missing. The operator has been told.")
        self.name = name
