"""A registry per kind of thing (surfaces, optimisers, schedules), each declared as a tuple of
data; lookups of an unknown id are refused with the field and the known ids."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from .errors import DescentLabError


class HasId(Protocol):
    @property
    def id(self) -> str: ...


T = TypeVar("T", bound=HasId)


@dataclass(frozen=True)
class Registry(Generic[T]):
    kind: str  # "surface", "optimizer", "schedule": for messages
    items: tuple[T, ...]
    by_id: dict[str, T] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_id", {item.id: item for item in self.items})
        if len(self.by_id) != len(self.items):
            raise ValueError(f"duplicate {self.kind} ids")

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self.by_id

    def get(self, item_id: str, field_path: str | None = None) -> T:
        try:
            return self.by_id[item_id]
        except (KeyError, TypeError):
            raise DescentLabError(
                field_path or self.kind,
                f"unknown {self.kind} {item_id!r} (known: {', '.join(self.by_id)})",
            ) from None
