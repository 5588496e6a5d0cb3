"""Plain data crossing to and from worker processes, pickled a slice at a time.

Pickling a large dict or tuple, or reading it back, is one long call in C that holds the
interpreter lock throughout: on a thread of the app's process it holds the event loop for as
long (measured with a 10,000-request round's input: 280 ms to pickle it whole, 395 ms to
read it back, 135 ms for its pairing history alone). :func:`pack` pickles a dict, tuple or
list :data:`SLICE` entries at a time, so the thread doing it lets the loop run between
slices; the bytes it makes cross to a worker process in one copy, and the worker, which has
no loop to keep, reads them back with :func:`unpack`.
"""

from __future__ import annotations

import dataclasses
import pickle
from dataclasses import dataclass
from typing import Any, TypeVar

#: Entries pickled together: each slice takes a few milliseconds at most.
SLICE = 200

T = TypeVar("T")


@dataclass(frozen=True)
class Sliced:
    """A value pickled in slices: ``kind`` says how to put it back together ("dict", "tuple",
    "list", or "one" for a value pickled whole)."""

    kind: str
    parts: tuple[bytes, ...]


def pieces(items: list[T], size: int) -> list[list[T]]:
    """``items`` cut into consecutive lists of at most ``size``."""
    return [items[i : i + size] for i in range(0, len(items), size)]


def _dumps(value: object) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def pack(value: object) -> Sliced:
    """``value`` pickled a slice at a time when it is a dict, tuple or list (exactly those
    types: a subclass is pickled whole, as it may not rebuild from its items)."""
    if type(value) is dict:
        items: list[Any] = list(value.items())
        kind = "dict"
    elif type(value) in (tuple, list):
        items = list(value)  # type: ignore[call-overload]
        kind = type(value).__name__
    else:
        return Sliced("one", (_dumps(value),))
    return Sliced(kind, tuple(_dumps(piece) for piece in pieces(items, SLICE)))


def unpack(sliced: Sliced) -> Any:
    """The value :func:`pack` was given."""
    if sliced.kind == "one":
        return pickle.loads(sliced.parts[0])
    items: list[Any] = []
    for part in sliced.parts:
        items += pickle.loads(part)
    if sliced.kind == "dict":
        return dict(items)
    if sliced.kind == "tuple":
        return tuple(items)
    if sliced.kind == "list":
        return items
    raise ValueError(f"unknown kind of sliced value: {sliced.kind!r}")


def pack_fields(obj: object) -> dict[str, Sliced]:
    """Every field of the dataclass instance ``obj``, each :func:`pack` ed."""
    return {f.name: pack(getattr(obj, f.name)) for f in dataclasses.fields(obj)}  # type: ignore[arg-type]


def unpack_fields(cls: type[T], fields: dict[str, Sliced]) -> T:
    """The dataclass ``cls`` made of :func:`pack_fields`' output."""
    return cls(**{name: unpack(value) for name, value in fields.items()})


__all__ = ["SLICE", "Sliced", "pack", "pack_fields", "pieces", "unpack", "unpack_fields"]
