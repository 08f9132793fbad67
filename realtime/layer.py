"""channels_redis's pub/sub layer, with a receive loop that waits instead of polling.

The stock layer reads its Redis subscription with a 0.1 s timeout, ten wake-ups a
second per process whether anything was published or not: on this machine, half of an
idle Daphne's CPU with 1,000 idle sockets (0.5 % of a core; ``bench/fanout.py``, idle
phase). A published message wakes the read at once whatever the timeout, so this layer
waits up to ``REALTIME_LAYER_WAIT_SECONDS`` per read. Everything else, the
reconnection on error included (logged on the stock layer's logger, so that
:mod:`realtime.apps` folds an outage into one line), is the stock layer's.
"""

from __future__ import annotations

import asyncio
from typing import Any

from channels_redis import pubsub
from django.conf import settings


class _Shard(pubsub.RedisSingleShardConnection):  # type: ignore[misc]
    async def _do_receiving(self) -> None:
        wait = settings.REALTIME_LAYER_WAIT_SECONDS
        while True:
            try:
                if self._pubsub and self._pubsub.subscribed:
                    message = await self._pubsub.get_message(
                        ignore_subscribe_messages=True, timeout=wait
                    )
                    self._receive_message(message)
                else:
                    await asyncio.sleep(0.1)
            except (TimeoutError, asyncio.CancelledError, GeneratorExit):
                raise
            except BaseException:
                pubsub.logger.exception("Unexpected exception in receive task")
                await asyncio.sleep(1)


class _LoopLayer(pubsub.RedisPubSubLoopLayer):  # type: ignore[misc]
    def __init__(self, hosts: Any = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(hosts, *args, **kwargs)
        self._shards = [_Shard(host, self) for host in pubsub.decode_hosts(hosts)]


class PubSubChannelLayer(pubsub.RedisPubSubChannelLayer):  # type: ignore[misc]
    """``RedisPubSubChannelLayer`` whose per-loop layers read with :class:`_Shard`."""

    def _get_layer(self) -> Any:
        loop = asyncio.get_running_loop()
        try:
            return self._layers[loop]
        except KeyError:
            layer = _LoopLayer(*self._args, **self._kwargs, channel_layer=self)
            self._layers[loop] = layer
            pubsub._wrap_close(self, loop)
            return layer
