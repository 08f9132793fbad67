"""The channel layer reads its subscription without polling (realtime/layer.py)."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

import pytest
from channels.layers import get_channel_layer

from realtime.layer import PubSubChannelLayer, _Shard


def test_the_settings_use_the_waiting_layer() -> None:
    layer = get_channel_layer()
    assert isinstance(layer, PubSubChannelLayer)


@pytest.mark.asyncio
async def test_a_message_wakes_a_read_that_waits_long(settings: Any) -> None:
    settings.REALTIME_LAYER_WAIT_SECONDS = 30.0
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add("layer-test", channel)
    try:
        shards = layer._get_layer()._shards
        assert shards and all(isinstance(shard, _Shard) for shard in shards)
        await asyncio.sleep(0.2)  # the receive task is now inside its long read
        for n in range(3):
            await layer.group_send("layer-test", {"type": "test.message", "n": n})
        got = [await asyncio.wait_for(layer.receive(channel), 5) for _ in range(3)]
        assert [m["n"] for m in got] == [0, 1, 2]
    finally:
        await layer.group_discard("layer-test", channel)
        await layer.flush()


def test_gc_tuning_freezes_and_raises_the_first_threshold(settings: Any) -> None:
    from project import gc_tuning

    before = gc.get_threshold()
    settings.GC_TUNING = False
    assert gc_tuning.tune() is False and gc.get_threshold() == before
    settings.GC_TUNING, settings.GC_GEN0_THRESHOLD = True, 12_345
    try:
        assert gc_tuning.tune() is True
        assert gc.get_threshold() == (12_345, before[1], before[2])
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
