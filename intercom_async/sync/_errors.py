"""The sync package's errors, all ``IntercomError`` subclasses (see ``intercom_async._errors``).

::

    IntercomError
    └── SyncError                     anything the export/sync machinery refuses or gives up on
        ├── UnknownResourceError      a resource name this module does not walk (also a ``ValueError``)
        ├── CheckpointError           a stored checkpoint that is unreadable or belongs elsewhere
        ├── PartitionFailed           an Intercom error (after the client's retries) stopped one partition
        └── ExportIncomplete          an export ended with failed partitions (they keep their checkpoints)

A ``CheckpointError`` is raised before anything is written: the stored checkpoint is left as it was.
"""

from __future__ import annotations

from typing import Any

from .._errors import IntercomError

__all__ = ["CheckpointError", "ExportIncomplete", "PartitionFailed", "SyncError", "UnknownResourceError"]


class SyncError(IntercomError):
    """Base class of the errors of ``intercom_async.sync``."""


class UnknownResourceError(SyncError, ValueError):
    """A resource name that ``export``/``sync``/``plan`` do not know."""


class CheckpointError(SyncError, ValueError):
    """A checkpoint that cannot be used: corrupted, of another format, resource, version or partition.

    ``key`` names the stored record (or ``None`` for a value passed directly)."""

    def __init__(self, message: str, *, key: str | None = None) -> None:
        super().__init__(message if key is None else f"checkpoint {key!r}: {message}")
        self.key = key


class PartitionFailed(SyncError):
    """An error from Intercom (after the client's own retries) stopped one partition. Its checkpoint keeps
    the last delivered position, so running the partition again resumes there. ``partition`` is the
    partition (a ``Partition``; its bounds are in the message), ``cause`` the original error."""

    def __init__(self, partition: Any, cause: BaseException) -> None:
        super().__init__(f"partition {partition.describe()} stopped: {type(cause).__name__}: {cause}")
        self.partition = partition
        self.cause = cause


class ExportIncomplete(SyncError):
    """Raised at the end of an export whose partitions did not all finish; ``failures`` lists them."""

    def __init__(self, failures: list[PartitionFailed]) -> None:
        shown = "; ".join(str(f) for f in failures[:5]) + (" ..." if len(failures) > 5 else "")
        super().__init__(
            f"{len(failures)} partition(s) failed (their checkpoints are kept; run again to resume): {shown}"
        )
        self.failures = failures
