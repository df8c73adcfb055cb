"""How Schemathesis runs against the API: which checks judge the answers (and which are left out, and why), a fixed
seed, and how much it explores — the `ci` profile by default, `long` when ``CHECKOUT_FUZZ_PROFILE=long``."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis

PROFILE_VARIABLE = "CHECKOUT_FUZZ_PROFILE"
# One seed for every run, so that a failure seen in CI is the failure seen on a laptop.
SEED = 20240611
# A busy two-core machine is not a slow API: only a call that hangs this long is one.
REQUEST_TIMEOUT_SECONDS = 30

# Every check Schemathesis has that applies to this API (`st run --help` lists them), each judging every response.
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
    "negative_data_rejection",
    "missing_required_header",
    "unsupported_method",
    "allow_header_conformance",
    "ignored_auth",
    "use_after_free",
    "ensure_resource_availability",
)
# Left out on purpose, each for its reason.
LEFT_OUT_CHECKS = {
    "positive_data_acceptance": "business rules legitimately refuse schema-valid input (an unknown SKU, a cart not "
    "ready to check out, an order in the wrong state)",
    "object_level_authorization": "it needs identities that must not see each other's objects; the admin API is "
    "one back office, and the storefront's capabilities are unguessable ids and tokens, not identities",
}
# Not a check by name but a limit (`max_response_time`), left unset: time on two shared cores says nothing here.


@dataclass(frozen=True)
class FuzzProfile:
    """How much Schemathesis explores: examples per operation in the fuzzing phase, and how many scenarios of
    how many steps the stateful phase runs (the examples and coverage phases generate what the schema defines)."""

    max_examples: int
    stateful_examples: int
    stateful_steps: int


PROFILES = {
    # CI: about a minute on its own, well within three minutes beside another test worker on two cores.
    "ci": FuzzProfile(max_examples=50, stateful_examples=100, stateful_steps=10),
    # By hand (`make fuzz`): a quarter of an hour or so.
    "long": FuzzProfile(max_examples=1000, stateful_examples=1000, stateful_steps=20),
}


def active_profile() -> FuzzProfile:
    name = os.environ.get(PROFILE_VARIABLE, "ci")
    if name not in PROFILES:
        raise pytest.UsageError(f"{PROFILE_VARIABLE}={name!r}: choose one of {', '.join(PROFILES)}")
    return PROFILES[name]


def schemathesis_config(profile: FuzzProfile, *, base_url: str, headers: Mapping[str, str]) -> schemathesis.Config:
    """Every phase and the checks above, a fixed seed and no example database on disk."""
    generation: dict[str, Any] = {"max-examples": profile.max_examples, "database": "none"}
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "base-url": base_url,
            "headers": dict(headers),
            "request-timeout": REQUEST_TIMEOUT_SECONDS,
            "generation": generation,
            "phases": {
                "examples": {"enabled": True},
                "coverage": {"enabled": True},
                "fuzzing": {"enabled": True},
                "stateful": {
                    "enabled": True,
                    "max-steps": profile.stateful_steps,
                    "generation": {**generation, "max-examples": profile.stateful_examples},
                },
            },
            # The keys are the suite's own test keys, and a reproduction needs the headers as they were sent.
            "output": {"sanitization": {"enabled": False}},
            "checks": {
                "enabled": False,  # only the checks named above, so that a new default is a decision of ours
                **{name: {"enabled": True} for name in CHECKS},
            },
        }
    )
