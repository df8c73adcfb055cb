"""The conformance validator itself, on hand-made journal entries: what passes, and what each kind of mismatch
reads like."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from conformance.openapi_schema import SchemaChecker
from conformance.stripe_conformance import Mismatch, check_entries, check_entry, decode_form, load_spec, report


def a_refund(**changes: Any) -> dict[str, Any]:
    """A refund as Stripe renders it at API 2023-08-16: every documented field, nullable ones as null."""
    refund: dict[str, Any] = {
        "id": "re_1",
        "object": "refund",
        "amount": 1000,
        "balance_transaction": None,
        "charge": "ch_1",
        "created": 1700000000,
        "currency": "eur",
        "metadata": {},
        "payment_intent": "pi_1",
        "reason": None,
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": "succeeded",
        "transfer_reversal": None,
    }
    refund.update(changes)
    return refund


def an_entry(body: Any, *, method: str = "GET", path: str = "/v1/refunds/re_1", status: int = 200, **sent: str) -> Any:
    return {"method": method, "path": path, "status": status, "body": body, "query": "", "form": "", **sent}


def wheres(mismatches: list[Mismatch]) -> list[str]:
    return [mismatch.where for mismatch in mismatches]


def test_a_refund_as_stripe_renders_it_passes() -> None:
    assert check_entry(an_entry(a_refund())) == []


def test_a_missing_required_field_is_reported_with_its_path() -> None:
    refund = a_refund()
    del refund["amount"]

    [mismatch] = check_entry(an_entry(refund))

    assert (mismatch.operation, mismatch.status) == ("GET /v1/refunds/{refund}", 200)
    assert (mismatch.where, mismatch.expected, mismatch.found) == ("$.amount", "integer", "missing")


def test_a_nullable_field_left_out_instead_of_null_is_reported() -> None:
    refund = a_refund()
    del refund["reason"]

    [mismatch] = check_entry(an_entry(refund))

    assert mismatch.where == "$.reason"
    assert "or null (null when empty)" in mismatch.expected
    assert mismatch.found == "missing"


def test_null_in_a_field_that_is_never_null_is_reported() -> None:
    assert wheres(check_entry(an_entry(a_refund(currency=None)))) == ["$.currency"]


def test_a_value_outside_the_enum_is_reported_with_the_allowed_values() -> None:
    [mismatch] = check_entry(an_entry(a_refund(reason="changed_mind")))

    assert mismatch.where == "$.reason"
    assert "'requested_by_customer'" in mismatch.expected
    assert mismatch.found == "string 'changed_mind'"


def test_an_undocumented_field_in_an_answer_is_reported() -> None:
    assert wheres(check_entry(an_entry(a_refund(settles_at=1700000000)))) == ["$.settles_at"]


def test_an_expanded_field_is_checked_as_the_object_it_names() -> None:
    intent = {"object": "payment_intent", "id": "pi_1"}  # far from a whole intent

    found = wheres(check_entry(an_entry(a_refund(payment_intent=intent))))

    assert "$.payment_intent.amount" in found
    assert "$.payment_intent" not in found


def test_an_error_answer_is_checked_against_the_error_schema() -> None:
    good = {"error": {"type": "invalid_request_error", "code": "resource_missing", "message": "No such refund"}}
    bad = {"error": {"type": "invalid_request_error", "code": None, "message": "No such refund"}}

    assert check_entry(an_entry(good, status=404)) == []
    assert wheres(check_entry(an_entry(bad, status=404))) == ["$.error.code"]


def test_an_undocumented_parameter_the_simulator_accepted_is_reported() -> None:
    entry = an_entry(a_refund(), method="POST", path="/v1/refunds", form="payment_intent=pi_1&amount=1000&speed=fast")

    [mismatch] = check_entry(entry)

    assert (mismatch.where, mismatch.found) == ("param speed", "it accepted")


def test_nested_parameters_are_checked_name_by_name_and_enum_by_enum() -> None:
    form = (
        "amount=1000&currency=eur&metadata[order_id]=ord_1&expand[0]=latest_charge&capture_method=later"
        "&payment_method_options[card][request_three_d_secure]=any&payment_method_options[card][colour]=red"
    )
    entry = an_entry({}, method="POST", path="/v1/payment_intents", form=form)

    found = {m.where: m for m in check_entry(entry) if m.where.startswith("param")}

    assert set(found) == {"param capture_method", "param payment_method_options[card][colour]"}
    assert "'manual'" in found["param capture_method"].expected


def test_query_parameters_of_a_list_are_checked_against_the_documented_ones() -> None:
    listing = {"object": "list", "data": [], "has_more": False, "url": "/v1/refunds"}

    good = an_entry(listing, path="/v1/refunds", query="limit=100&created[gte]=1700000000&expand[]=data.charge")
    bad = an_entry(listing, path="/v1/refunds", query="limit=many&created[since]=1700000000")

    assert check_entry(good) == []
    assert wheres(check_entry(bad)) == ["param limit", "param created[since]"]


def test_a_documented_parameter_refused_as_unknown_is_reported() -> None:
    refusal = {"error": {"type": "invalid_request_error", "code": "parameter_unknown", "param": "metadata"}}
    entry = an_entry(refusal, method="POST", path="/v1/payment_intents/pi_1/capture", status=400, form="metadata[a]=b")

    [mismatch] = check_entry(entry)

    assert (mismatch.where, mismatch.found) == ("param metadata", "refused as unknown")


def test_an_undocumented_parameter_refused_as_unknown_is_as_stripe_does() -> None:
    refusal = {"error": {"type": "invalid_request_error", "code": "parameter_unknown", "param": "speed"}}
    entry = an_entry(refusal, method="POST", path="/v1/refunds", status=400, form="speed=fast")

    assert check_entry(entry) == []


def test_an_event_carries_its_object_checked_against_the_schema_of_its_kind() -> None:
    event = {
        "id": "evt_1",
        "object": "event",
        "api_version": "2023-08-16",
        "created": 1700000000,
        "data": {"object": a_refund(reason="gone"), "previous_attributes": {"status": "pending", "mood": "calm"}},
        "livemode": False,
        "pending_webhooks": 0,
        "request": {"id": None, "idempotency_key": None},
        "type": "refund.updated",
    }

    found = wheres(check_entry(an_entry(event, path="/v1/events/evt_1")))

    assert found == ["$.data.object{refund}.reason", "$.data.previous_attributes.mood"]


def test_a_route_outside_the_spec_is_fine_only_as_an_error() -> None:
    refusal = {"error": {"type": "invalid_request_error", "message": "Unrecognized request URL"}}

    assert check_entry(an_entry(refusal, path="/v1/balloons", status=404)) == []
    assert wheres(check_entry(an_entry({"id": "b_1"}, path="/v1/balloons"))) == ["operation"]


def test_the_search_path_is_not_taken_for_an_intent_id() -> None:
    assert load_spec().find("GET", "/v1/payment_intents/search").name == "GET /v1/payment_intents/search"  # type: ignore[union-attr]
    assert load_spec().find("GET", "/v1/payment_intents/pi_1").name == "GET /v1/payment_intents/{intent}"  # type: ignore[union-attr]


def test_stripe_form_encoding_decodes_to_nested_values() -> None:
    decoded = decode_form("metadata[k]=v&expand[]=a&expand[]=b&created[gte]=1&items[0][price]=p&description=")

    assert decoded == {
        "metadata": {"k": "v"},
        "expand": ["a", "b"],
        "created": {"gte": "1"},
        "items": {"0": {"price": "p"}},
        "description": "",
    }


def test_exchanges_of_one_shape_are_checked_once_and_mismatches_read_as_lines() -> None:
    broken = a_refund(currency=None)
    twin = copy.deepcopy(broken) | {"id": "re_2", "amount": 2500}

    mismatches = check_entries([an_entry(broken), an_entry(twin, path="/v1/refunds/re_2")])

    assert len(mismatches) == 1
    assert report(mismatches) == ("GET /v1/refunds/{refund} -> 200: $.currency: expected string; found null")


@pytest.mark.parametrize("status", ["succeeded", "pending", "failed", "canceled", "requires_action"])
def test_every_refund_status_stripe_documents_passes(status: str) -> None:
    assert check_entry(an_entry(a_refund(status=status))) == []


def test_a_field_added_since_the_specs_version_is_no_undocumented_field() -> None:
    # `destination_details` is a refund's at the version the `stripe` library pins, not at 2023-08-16.
    assert check_entry(an_entry(a_refund(destination_details={"type": "card"}))) == []


def test_a_field_removed_since_the_specs_version_may_be_absent() -> None:
    class RefundAtALaterVersion:  # as the library's classes are: annotations name the fields of that version
        amount: int
        charge: str
        created: int
        currency: str
        id: str
        object: str
        payment_intent: str
        reason: str
        status: str

    spec = load_spec()
    refund = a_refund()
    for removed in ("balance_transaction", "receipt_number", "source_transfer_reversal", "transfer_reversal"):
        del refund[removed]
    checker = SchemaChecker(spec.checker.components, lambda kind: RefundAtALaterVersion)

    assert checker.check_json(refund, {"$ref": "#/components/schemas/refund"}) == []
    assert SchemaChecker(spec.checker.components).check_json(refund, {"$ref": "#/components/schemas/refund"})


def test_a_parameter_added_since_the_specs_version_is_accepted_unchecked() -> None:
    form = "amount=1000&currency=eur&allowed_payment_method_types[0]=card"
    entry = an_entry({}, method="POST", path="/v1/payment_intents", form=form)

    assert not [m for m in check_entry(entry) if m.where.startswith("param")]


def test_an_enum_value_added_since_the_specs_version_is_accepted() -> None:
    # `expired` is a cancellation reason at the pinned version, not at 2023-08-16; `automatic_async` likewise.
    spec = load_spec()
    intent = {"object": "payment_intent", "cancellation_reason": "expired"}
    problems = spec.checker.check_json(intent, {"$ref": "#/components/schemas/payment_intent"})
    form = "amount=1000&currency=eur&capture_method=automatic_async"
    entry = an_entry({}, method="POST", path="/v1/payment_intents", form=form)

    assert "$.cancellation_reason" not in [problem.where for problem in problems]
    assert not [m for m in check_entry(entry) if m.where.startswith("param")]
