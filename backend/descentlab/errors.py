"""The one exception type the engine raises for bad input.

Every refusal names the field it is about, so the API can answer 422 with a field path and the
WebSocket an ``error`` message, and a notebook user sees which argument to fix.
"""

from __future__ import annotations


class DescentLabError(ValueError):
    """Bad input: ``field`` names what is wrong (dotted path, e.g. ``optimizers.0.params.lr``)."""

    def __init__(self, field: str, message: str, *, position: int | None = None) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.position = position  # column in a typed expression, when the error has one

    def within(self, prefix: str) -> DescentLabError:
        """The same error, with ``prefix`` put in front of its field path."""
        field = f"{prefix}.{self.field}" if self.field else prefix
        return DescentLabError(field, self.message, position=self.position)
