"""The pure parts, without a process: form decoding, pagination, idempotency, signing, delivery planning."""

from __future__ import annotations

import random
import time

import pytest
import stripe

from provider_sim.config import SimConfig
from provider_sim.errors import StripeApiError
from provider_sim.forms import decode_form
from provider_sim.idempotency import IdempotencyStore, StoredResponse, fingerprint
from provider_sim.ledger import Collection
from provider_sim.listing import paginate
from provider_sim.objects import Refund
from provider_sim.params import CreatedRange, PageRequest, Params
from provider_sim.signing import signature_header
from provider_sim.webhook_plan import WebhookSettings, backoff_ms, plan_delivery


def test_nested_form_keys_decode_into_hashes_and_arrays() -> None:
    decoded = decode_form(
        "amount=1000&metadata[order_id]=o_1&metadata[payment_attempt_id]=pa_2"
        "&expand[0]=latest_charge&expand[1]=payment_method&created[gte]=17&types[]=a&types[]=b"
    )
    assert decoded == {
        "amount": "1000",
        "metadata": {"order_id": "o_1", "payment_attempt_id": "pa_2"},
        "expand": ["latest_charge", "payment_method"],
        "created": {"gte": "17"},
        "types": ["a", "b"],
    }


def test_a_key_used_both_as_value_and_hash_is_refused_like_stripe_does() -> None:
    with pytest.raises(StripeApiError) as refused:
        decode_form("metadata=x&metadata[a]=b")
    assert refused.value.status == 400
    assert refused.value.param == "metadata"


def test_params_report_the_missing_or_malformed_parameter_by_name() -> None:
    with pytest.raises(StripeApiError) as missing:
        Params({}).integer("amount", required=True)
    assert (missing.value.code, missing.value.param) == ("parameter_missing", "amount")
    with pytest.raises(StripeApiError) as malformed:
        Params({"amount": "ten"}).integer("amount")
    assert (malformed.value.code, malformed.value.param) == ("parameter_invalid_integer", "amount")
    with pytest.raises(StripeApiError) as unknown:
        Params({"amout": "1"}).reject_unknown({"amount"})
    assert unknown.value.code == "parameter_unknown"


def test_a_created_range_keeps_exactly_the_bounds_given() -> None:
    window = Params(decode_form("created[gte]=10&created[lt]=20")).created_range()
    assert [t for t in (9, 10, 19, 20) if window.contains(t)] == [10, 19]
    assert CreatedRange().contains(0)


def _refunds(count: int) -> Collection[Refund]:
    collection: Collection[Refund] = Collection()
    for number in range(count):
        collection.add(Refund(f"re_{number}", 1, "eur", "ch_1", "pi_1", "pm_card_visa", created=number))
    return collection


def test_pages_run_newest_first_and_starting_after_continues_back_in_time() -> None:
    refunds = _refunds(5)
    first = paginate(refunds, PageRequest(limit=2), lambda _: True)
    assert [r.id for r in first.data] == ["re_4", "re_3"] and first.has_more
    second = paginate(refunds, PageRequest(limit=2, starting_after="re_3"), lambda _: True)
    assert [r.id for r in second.data] == ["re_2", "re_1"] and second.has_more
    last = paginate(refunds, PageRequest(limit=2, starting_after="re_1"), lambda _: True)
    assert [r.id for r in last.data] == ["re_0"] and not last.has_more


def test_ending_before_returns_the_newer_neighbours_still_newest_first() -> None:
    page = paginate(_refunds(5), PageRequest(limit=2, ending_before="re_1"), lambda _: True)
    assert [r.id for r in page.data] == ["re_3", "re_2"]
    assert page.has_more


def test_an_unknown_cursor_is_a_resource_missing_error() -> None:
    with pytest.raises(StripeApiError) as missing:
        paginate(_refunds(1), PageRequest(starting_after="re_nope"), lambda _: True)
    assert (missing.value.code, missing.value.param) == ("resource_missing", "starting_after")


def test_an_idempotency_key_replays_for_the_same_parameters_in_any_order() -> None:
    store = IdempotencyStore()
    first = fingerprint("POST", "/v1/refunds", [("amount", "5"), ("payment_intent", "pi_1")])
    same = fingerprint("POST", "/v1/refunds", [("payment_intent", "pi_1"), ("amount", "5")])
    assert store.begin("sk_test_a", "k1", first) is None
    store.complete("sk_test_a", "k1", StoredResponse(200, b"{}", "req_1"))
    assert store.begin("sk_test_a", "k1", same) == StoredResponse(200, b"{}", "req_1")


def test_an_idempotency_key_is_refused_for_other_parameters_and_while_in_progress() -> None:
    store = IdempotencyStore()
    assert store.begin("sk_test_a", "k1", "POST /v1/x?a=1") is None
    with pytest.raises(StripeApiError) as in_progress:
        store.begin("sk_test_a", "k1", "POST /v1/x?a=1")
    assert (in_progress.value.status, in_progress.value.code) == (409, "idempotency_key_in_use")
    with pytest.raises(StripeApiError) as mismatch:
        store.begin("sk_test_a", "k1", "POST /v1/x?a=2")
    assert (mismatch.value.status, mismatch.value.type) == (400, "idempotency_error")


def test_idempotency_keys_are_scoped_per_api_key_and_forgotten_after_a_day() -> None:
    now = [1000.0]
    store = IdempotencyStore(clock=lambda: now[0])
    assert store.begin("sk_test_a", "k1", "f") is None
    assert store.begin("sk_test_b", "k1", "other") is None
    store.complete("sk_test_a", "k1", StoredResponse(200, b"{}", "req_1"))
    now[0] += 24 * 3600 + 1
    assert store.begin("sk_test_a", "k1", "different now") is None


def test_the_signature_header_is_accepted_by_the_official_verifier() -> None:
    payload = '{"id": "evt_1", "object": "event", "type": "payment_intent.succeeded", "data": {"object": {}}}'
    header = signature_header("whsec_abc", int(time.time()), payload)
    event = stripe.Webhook.construct_event(payload, header, "whsec_abc")
    assert event.id == "evt_1"
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload, header, "whsec_other")


def test_delivery_plans_repeat_for_the_same_seed() -> None:
    settings = WebhookSettings(url="http://x", secret="s", duplicate_rate=0.5, drop_rate=0.2, reorder_window_ms=100)
    runs = [[plan_delivery(settings, rng) for _ in range(50)] for rng in (random.Random(7), random.Random(7))]
    assert runs[0] == runs[1]
    assert {plan.dropped for plan in runs[0]} == {True, False}
    assert {len(plan.holds_ms) for plan in runs[0] if not plan.dropped} == {1, 2}


def test_backoff_doubles_from_the_base_up_to_the_cap() -> None:
    settings = WebhookSettings.from_config(SimConfig(webhook_backoff_base_ms=100, webhook_backoff_max_ms=500))
    assert [backoff_ms(settings, attempt) for attempt in range(1, 6)] == [100, 200, 400, 500, 500]
