"""The generator's error type, below every codegen module that raises it (``generate``, ``pagination``)."""

from __future__ import annotations


class GenerationError(RuntimeError):
    """The engine reported warnings or errors: generating anyway would drop operations or responses."""
