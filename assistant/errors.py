"""Which exceptions carry a message meant for the user (printed as is, no traceback)."""

from __future__ import annotations


class UserFacingError(Exception):
    """An error of the assistant itself whose message says what is wrong and what to do."""


def user_facing_errors() -> tuple[type[BaseException], ...]:
    # Imported here so the CLI can start (and print --help) without loading the libraries.
    from ingest.errors import IngestError
    from vectorstore.errors import VectorStoreError

    return (UserFacingError, IngestError, VectorStoreError)
