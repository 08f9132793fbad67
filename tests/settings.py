"""Settings for the test suite: the project's, on real PostgreSQL and Redis by default.

Every value can still be overridden by the environment (see README, "Tests").
"""

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/corkboard")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
os.environ.setdefault("CACHE_URL", "redis://127.0.0.1:6379/2")
os.environ.setdefault("CHANNEL_PREFIX", "corkboard-test")
os.environ.setdefault("CACHE_PREFIX", "corkboard-test")
os.environ.setdefault("CORKBOARD_ALLOW_INSECURE_KEY", "1")
os.environ.setdefault("STATIC_MANIFEST", "0")

from project.settings import *  # noqa: E402, F403

# Argon2 is deliberately slow; the suite creates hundreds of users.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # noqa: S303
