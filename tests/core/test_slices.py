"""Data pickled a slice at a time for the worker processes (bot.core.slices)."""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from bot.core.slices import SLICE, Sliced, pack, pack_fields, unpack, unpack_fields

values = st.recursive(
    st.none() | st.integers() | st.text(max_size=5) | st.datetimes(timezones=st.just(UTC)),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.tuples(inner, inner)
        | st.frozensets(st.integers(), max_size=3)
    ),
    max_leaves=5,
)


@given(
    st.dictionaries(st.frozensets(st.text(max_size=4), max_size=2), values, max_size=900)
    | st.lists(values, max_size=900)
    | st.lists(values, max_size=900).map(tuple)
    | values
)
def test_a_packed_value_reads_back_equal_and_of_the_same_type(value: Any) -> None:
    back = unpack(pack(value))
    assert back == value and type(back) is type(value)


def test_large_containers_are_pickled_a_slice_at_a_time() -> None:
    when = datetime(2026, 12, 7, tzinfo=UTC)
    history = {frozenset({f"m{i}", f"n{i}"}): when - timedelta(days=i) for i in range(5_000)}
    packed = pack(history)
    assert packed.kind == "dict" and len(packed.parts) == -(-5_000 // SLICE)
    assert all(len(pickle.loads(part)) <= SLICE for part in packed.parts)
    assert unpack(packed) == history
    # Other types are pickled whole (a subclass may not rebuild from its items).
    assert pack(frozenset({1, 2})).kind == "one" and len(pack(frozenset({1, 2})).parts) == 1


@dataclass(frozen=True)
class _Sample:
    rows: tuple[int, ...]
    names: dict[str, str]
    when: datetime


def test_a_dataclass_is_packed_field_by_field() -> None:
    sample = _Sample(tuple(range(1000)), {str(i): "x" for i in range(450)}, datetime.now(UTC))
    fields = pack_fields(sample)
    assert set(fields) == {"rows", "names", "when"}
    assert all(isinstance(f, Sliced) for f in fields.values())
    assert [len(fields[n].parts) for n in ("rows", "names", "when")] == [5, 3, 1]
    assert unpack_fields(_Sample, fields) == sample
