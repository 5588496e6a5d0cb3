"""The collector tuned for a long-running server: start-up objects frozen, thresholds raised."""

from __future__ import annotations

import gc

import pytest

from bot.ops import gc_tuning


def test_tuning_freezes_start_up_objects_and_raises_the_thresholds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PEERLOOP_GC_THRESHOLDS", raising=False)
    before = gc.get_threshold()
    try:
        assert gc_tuning.tune_for_server() == gc_tuning.SERVER_THRESHOLDS
        assert gc.get_threshold() == gc_tuning.SERVER_THRESHOLDS
        assert (
            gc.get_freeze_count() > 1000
        )  # modules, classes and the like: no collection walks them
    finally:
        gc_tuning.untune()
        gc.set_threshold(*before)
    assert gc.get_freeze_count() == 0


def test_thresholds_from_the_environment() -> None:
    assert gc_tuning.thresholds_from_env(None) == gc_tuning.SERVER_THRESHOLDS
    assert gc_tuning.thresholds_from_env("10000, 10, 50") == (10_000, 10, 50)
    assert gc_tuning.thresholds_from_env("off") is None
    for bad in ("1,2", "0,1,1", "a,b,c"):
        with pytest.raises(ValueError):
            gc_tuning.thresholds_from_env(bad)


def test_off_leaves_the_collector_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PEERLOOP_GC_THRESHOLDS", "off")
    before = gc.get_threshold()
    assert gc_tuning.tune_for_server() is None
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
