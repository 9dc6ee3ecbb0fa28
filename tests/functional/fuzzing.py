"""Hypothesis settings shared by the fuzz tests: seeded and bounded in ``make test``.

``make test`` runs every fuzz test with its small ``examples`` count and ``derandomize=True``
(the same cases every run, so a failure reproduces).  ``make fuzz`` sets
``ASYNCMEDIA_FUZZ=<factor>`` to run ``factor`` times as many cases, from the seed it passes
as ``--hypothesis-seed`` (change it there to explore other cases).
"""

from __future__ import annotations

import os
from collections import Counter
from typing import Any

from hypothesis import HealthCheck, settings

FACTOR = int(os.environ.get("ASYNCMEDIA_FUZZ", "1") or 1)

#: Cases tried per category, printed at the end of the session (``make fuzz``'s summary).
COUNTS: Counter[str] = Counter()


def fuzz_settings(examples: int, **extra: Any) -> settings:
    """``examples`` cases in ``make test``, ``examples × ASYNCMEDIA_FUZZ`` in ``make fuzz``."""
    return settings(
        max_examples=examples * FACTOR,
        derandomize=FACTOR == 1,
        deadline=None,
        database=None,
        print_blob=True,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.function_scoped_fixture,
            HealthCheck.data_too_large,
        ],
        **extra,
    )
