"""Run services at the same moment from several threads, each on its own connection.

These tests need real concurrency, so they run with ``transaction=True`` on PostgreSQL:
each thread commits for real and waits on real row locks.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection

from collab.exceptions import CorkboardError

JOIN_TIMEOUT = 30


@dataclass
class Outcome:
    """What one concurrent call did: returned ``value`` or raised ``error``."""

    value: object = None
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def domain_error(self) -> bool:
        """Whether it was refused with a domain error (a 4xx, never a 500)."""
        return isinstance(self.error, CorkboardError)


def run_together(*calls: Callable[[], object]) -> list[Outcome]:
    """Run ``calls`` in one thread each, released at once by a barrier; return outcomes.

    Each thread has its own database connection (Django's are per thread), closed when
    it is done so that the test database can be flushed and dropped.
    """
    barrier = threading.Barrier(len(calls))
    outcomes = [Outcome() for _ in calls]

    def work(index: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=JOIN_TIMEOUT)
            outcomes[index].value = call()
        except BaseException as error:  # reported to the test thread
            outcomes[index].error = error
        finally:
            connection.close()

    threads = [
        threading.Thread(target=work, args=(i, call), daemon=True) for i, call in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "a concurrent call hung"
    return outcomes


def describe(outcomes: list[Outcome]) -> str:
    return "; ".join(
        "ok" if o.ok else f"{type(o.error).__module__}.{type(o.error).__name__}: {o.error}"
        for o in outcomes
    )


@pytest.fixture(scope="module", autouse=True)
def _restore_moderators_group(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """Make the data-migrated Moderators group again once the module's tests are done.

    Transactional tests flush every table, data-migrated rows included; later tests of
    the same run expect the group.
    """
    yield
    migration = importlib.import_module("collab.migrations.0003_moderators_group")
    with django_db_blocker.unblock():
        group, _ = Group.objects.get_or_create(name=migration.GROUP)
        group.permissions.set(
            Permission.objects.get(content_type__app_label=app, codename=codename)
            for app, codename in migration.PERMISSIONS
        )
