"""Hypothesis profiles for the fuzz suite, chosen with ``HYPOTHESIS_PROFILE``.

``quick`` (the default, part of ``make test``) runs a few dozen examples per test;
``medium`` 1,000; ``long`` (``make fuzz``) 10,000 per test. Only the fuzz tests use these profiles
(they decorate themselves with :data:`FUZZ`), so other property tests keep their own.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_COMMON = {
    "deadline": None,
    "derandomize": False,
    "suppress_health_check": [
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
    "print_blob": True,
}
settings.register_profile("quick", max_examples=50, **_COMMON)
settings.register_profile("medium", max_examples=1_000, **_COMMON)
settings.register_profile("long", max_examples=10_000, **_COMMON)
#: The settings every fuzz test runs with.
FUZZ = settings(settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "quick")))
