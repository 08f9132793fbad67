"""App config for realtime."""

import logging

from django.apps import AppConfig


class _LayerOutageFilter(logging.Filter):
    """Turn channels_redis's traceback-per-second while Redis is down into one line.

    Its pub/sub receive task logs every failed read with ``logger.exception``; the
    outage itself is reported once by :mod:`realtime.outage`.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            from realtime import outage

            outage.report("the channel layer's Redis subscription", record.exc_info[1])
            return False
        return True


class RealtimeConfig(AppConfig):
    name = "realtime"

    def ready(self) -> None:
        logging.getLogger("channels_redis.pubsub").addFilter(_LayerOutageFilter())
