"""Settings of the stock Channels peer: Daphne + ``RedisChannelLayer``, nothing else.

``REDIS_URL`` and ``CHANNEL_PREFIX`` come from the environment. The two redis-py 8
settings are the known pitfalls (DESIGN.md): without them idle sockets close after 5 s
and a connect burst raises instead of waiting; they change nothing else.
"""

import os

SECRET_KEY = os.environ.get("SECRET_KEY", "bench-stock-peer-not-secret")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = ["daphne", "channels"]
DATABASES: dict[str, dict[str, str]] = {}
ASGI_APPLICATION = "bench.peers.stock_asgi.application"
USE_TZ = True
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            "hosts": [
                {
                    "address": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
                    "socket_timeout": None,
                    "max_connections": 10_000,
                }
            ],
            "prefix": os.environ.get("CHANNEL_PREFIX", "bench-stock"),
        },
    }
}
