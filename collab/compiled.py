"""Querysets compiled to SQL once and run again with other values, for the hottest reads.

Compiling a small QuerySet costs Django more CPU than PostgreSQL spends answering it
(about 0.8 ms against 0.1 ms for a subscribe's access check, measured in
``bench/fanout.py``'s connect phase): on a reconnect storm, the socket tier spends
most of its time building the same SQL. A :class:`CompiledQuery` keeps the rule in
the ORM (a function that builds the QuerySet, usually from the selectors' own
permission filters) and only remembers the SQL it compiles to: the function is called
once, with sentinel values standing for its arguments, and every later run swaps the
real values into the same places. The run still goes through Django's cursor, so it is
logged, counted and wrapped in Django's database errors like any other query.

Only for integer arguments that reach the SQL as parameters unchanged (ids): building
the QuerySet raises if a sentinel went missing or was folded into the SQL text.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connections
from django.db.models import QuerySet

# Values no id takes: each stands for one argument while the query compiles.
_SENTINEL_BASE = -7_340_000


class CompiledQuery:
    """``build(*ids)`` compiled once per database alias; :meth:`rows` runs it."""

    def __init__(self, build: Callable[..., QuerySet[Any]], arity: int) -> None:
        self._build = build
        self._arity = arity
        self._compiled: dict[str, tuple[str, list[Any], list[int | None]]] = {}
        self._lock = threading.Lock()

    def _compile(self, using: str) -> tuple[str, list[Any], list[int | None]]:
        with self._lock:
            if using not in self._compiled:
                sentinels = [_SENTINEL_BASE - i for i in range(self._arity)]
                queryset = self._build(*sentinels).using(using)
                sql, params = queryset.query.sql_with_params()
                # For each parameter: the argument it stands for, or None (a constant).
                slots = [sentinels.index(p) if p in sentinels else None for p in params]
                if sorted({s for s in slots if s is not None}) != list(range(self._arity)):
                    raise ValueError(f"an argument did not reach the SQL as a parameter: {sql}")
                self._compiled[using] = (sql, list(params), slots)
            return self._compiled[using]

    def rows(self, *ids: int, using: str = "default") -> list[tuple[Any, ...]]:
        """Return the rows of the query with these ids, as a values_list query gives them."""
        if len(ids) != self._arity or not all(type(i) is int for i in ids):
            raise TypeError(f"expected {self._arity} integer ids, got {ids!r}")
        sql, constants, slots = self._compile(using)
        params: Sequence[Any] = [
            constant if slot is None else ids[slot]
            for constant, slot in zip(constants, slots, strict=True)
        ]
        with connections[using].cursor() as cursor:
            cursor.execute(sql, params)
            return list(cursor.fetchall())
