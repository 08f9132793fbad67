"""The garbage collector of a serving process: startup objects frozen, fewer collections.

A process holding 1,000 sockets tracks millions of container objects; CPython's full
collection walks all of them, and on this machine it took 100 to 200 ms, a stop of every
socket of the process (the paced benchmark's p99 was that pause). Two standard measures:

- ``gc.freeze()`` once the app is loaded: the modules, Django's app registry, URL
  resolvers and settings move to the permanent generation and are never walked again;
- a first-generation threshold of ``GC_GEN0_THRESHOLD`` allocations (CPython's default
  is 700): short-lived request and frame objects die by reference counting before a
  collection sees them, so fewer survive into the older generations that full
  collections walk.

Reference counting still frees everything that is not in a cycle, at once; cycles are
still collected, later. ``GC_TUNING=0`` keeps CPython's defaults (the tests do).
"""

from __future__ import annotations

import gc

from django.conf import settings


def tune() -> bool:
    """Freeze what is loaded and raise the first threshold; return whether it did."""
    if not settings.GC_TUNING:
        return False
    gc.collect()
    gc.freeze()
    _gen0, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(settings.GC_GEN0_THRESHOLD, gen1, gen2)
    return True
