"""Schemathesis against the running API (tests/fuzz/conftest.py starts it): every operation of `/openapi.json`
with generated valid and invalid input (the examples, coverage and fuzzing phases), then sequences of calls chained
by the schema's links, declared or inferred (the stateful phase), each response judged by every check that applies
— no server error; statuses, content types, bodies and headers as documented; invalid input and missing required
headers refused; authentication enforced; unsupported methods refused with a matching `Allow`; deleted resources
gone and created ones available.

CI runs the `ci` profile: a fixed seed, a bounded number of examples, about a minute on its own. For a deep run::

    CHECKOUT_FUZZ_PROFILE=long .venv/bin/pytest tests/fuzz        # or: make fuzz

A failure names the operation (the subtest's label) and the check, and prints the request that reproduces it as a
curl command; the processes' logs follow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import hypothesis
import schemathesis
from schemathesis.checks import CHECKS as REGISTERED_CHECKS
from schemathesis.checks import load_all_checks
from schemathesis.schemas import BaseSchema

from fuzz.config import CHECKS, LEFT_OUT_CHECKS

if TYPE_CHECKING:
    from schemathesis.specs.openapi.schemas import OpenApiCase

schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
def test_every_operation_answers_as_its_schema_says(case: OpenApiCase) -> None:
    case.call_and_validate()


def test_every_sequence_of_linked_calls_answers_as_its_schema_says(api_schema: BaseSchema) -> None:
    state_machine = api_schema.as_state_machine()
    settings = api_schema.config.get_hypothesis_settings(phase="stateful")
    hypothesis.seed(api_schema.config.seed)(state_machine).run(settings=settings)


def test_every_check_schemathesis_has_is_run_or_left_out_for_a_reason() -> None:
    load_all_checks()
    assert set(REGISTERED_CHECKS.get_all_names()) == {*CHECKS, *LEFT_OUT_CHECKS}
