"""The garbage collector's settings for a process that runs one engine at k6's full output rate."""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 20_000
"""Container allocations between two young-generation collections (Python's default: 700).

The JSON ingest makes tens of thousands of tuples a second and keeps a tick's worth until they are folded.
At 700 the collector ran about 40 times a second and carried each batch through the older generations; at
this size most of them are gone before a collection sees them (loadwatch's CPU per request fell by about a
tenth in paired runs of benchmarks.overhead's script)."""


def tune_for_ingest() -> None:
    """Keep start-up's objects (modules, configuration, the record) out of every later collection and
    collect the young generation less often. Call once, after the engine started, in a process that runs
    one engine (the headless run, the engine host); never in a test process.
    """
    gc.freeze()
    _young, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
