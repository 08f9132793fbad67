"""Settings for the test suite: the project's, on real PostgreSQL and Redis by default.

Every value can still be overridden by the environment (see README, "Tests").
"""

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/corkboard")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
os.environ.setdefault("CACHE_URL", "redis://127.0.0.1:6379/2")
# Unique per run, so that two test runs on one machine never share groups or keys.
os.environ.setdefault("CORKBOARD_TEST_RUN", f"run{os.getpid()}")
os.environ.setdefault("CHANNEL_PREFIX", f"cbt-{os.environ['CORKBOARD_TEST_RUN']}")
os.environ.setdefault("CACHE_PREFIX", f"cbt-{os.environ['CORKBOARD_TEST_RUN']}")
os.environ.setdefault("CORKBOARD_ALLOW_INSECURE_KEY", "1")
os.environ.setdefault("STATIC_MANIFEST", "0")

from project.settings import *  # noqa: F403

DATABASES["default"]["TEST"] = {  # noqa: F405
    "NAME": os.environ.get(
        "TEST_DATABASE_NAME", f"test_corkboard_{os.environ['CORKBOARD_TEST_RUN']}"
    )
}

# Connections opened in sync_to_async threads close after each call, so that the test
# database can be dropped at the end.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405

# Argon2 is deliberately slow; the suite creates hundreds of users.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# The test process keeps CPython's collector as it is (project/gc_tuning.py).
GC_TUNING = False
