"""One registry of public names: substrate families, and (as they move here) featurizers, models,
regressors and loggers. A renamed thing keeps its old name as an alias."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from nucleate.errors import InputError

T = TypeVar("T")


class Registry(Generic[T]):
    """Names -> objects of one kind, with aliases.

    Args:
        kind: what the names are of ("substrate family", "model"), for error messages.
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}
        self._aliases: dict[str, str] = {}

    def register(self, name: str, aliases: tuple[str, ...] = ()) -> Callable[[T], T]:
        """Decorator: register the object under ``name`` (and ``aliases``)."""

        def add(obj: T) -> T:
            self.add(name, obj, aliases)
            return obj

        return add

    def add(self, name: str, obj: T, aliases: tuple[str, ...] = ()) -> None:
        for key in (name, *aliases):
            if key in self._items or key in self._aliases:
                raise ValueError(f"{self.kind} {key!r} is registered twice")
        self._items[name] = obj
        for alias in aliases:
            self._aliases[alias] = name

    def canonical(self, name: str) -> str:
        """The registered name of ``name`` or of the alias ``name``."""
        name = self._aliases.get(name, name)
        if name not in self._items:
            raise InputError(f"unknown {self.kind} {name!r}; use one of {', '.join(self._items)}")
        return name

    def get(self, name: str) -> T:
        return self._items[self.canonical(name)]

    def __contains__(self, name: object) -> bool:
        return name in self._items or name in self._aliases

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def names(self) -> tuple[str, ...]:
        return tuple(self._items)
