"""The collector is paused during large builds and comes back as it was, however they nest."""

from __future__ import annotations

import gc
import threading

from bot.core.gc_pause import collection_paused, without_collection


def test_paused_inside_and_back_after_nested_and_concurrent_pauses() -> None:
    assert gc.isenabled()
    inside = threading.Event()
    release = threading.Event()

    def other_build() -> None:
        with collection_paused():
            inside.set()
            release.wait(5)

    worker = threading.Thread(target=other_build)
    worker.start()
    assert inside.wait(5)
    assert not gc.isenabled()
    with collection_paused():
        assert without_collection(gc.isenabled)() is False
    assert not gc.isenabled()  # the other build still runs: still paused
    release.set()
    worker.join(5)
    assert gc.isenabled()


def test_a_collector_turned_off_by_someone_else_stays_off() -> None:
    gc.disable()
    try:
        with collection_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_back_on_after_an_exception() -> None:
    try:
        with collection_paused():
            raise ValueError("boom")
    except ValueError:
        pass
    assert gc.isenabled()
