"""List objects, Stripe's pagination, and the event log."""

from __future__ import annotations

import time

import pytest
import stripe
from sim_params import CARDS

from support.provider_sim_process import ProviderSimProcess


def create_intents(client: stripe.StripeClient, count: int) -> list[str]:
    return [client.v1.payment_intents.create(params={"amount": 100 + n, "currency": "eur"}).id for n in range(count)]


def test_lists_are_newest_first_with_has_more_and_starting_after(stripe_client: stripe.StripeClient) -> None:
    created = create_intents(stripe_client, 5)

    first = stripe_client.v1.payment_intents.list(params={"limit": 2})
    second = stripe_client.v1.payment_intents.list(params={"limit": 2, "starting_after": first.data[-1].id})
    third = stripe_client.v1.payment_intents.list(params={"limit": 2, "starting_after": second.data[-1].id})

    assert (first.object, first.url) == ("list", "/v1/payment_intents")
    assert [p.id for p in first.data + second.data + third.data] == created[::-1]
    assert (first.has_more, second.has_more, third.has_more) == (True, True, False)


def test_auto_paging_iter_walks_every_page(stripe_client: stripe.StripeClient) -> None:
    created = create_intents(stripe_client, 7)
    pages = stripe_client.v1.payment_intents.list(params={"limit": 3})
    assert [intent.id for intent in pages.auto_paging_iter()] == created[::-1]


def test_ending_before_pages_towards_newer_objects(stripe_client: stripe.StripeClient) -> None:
    created = create_intents(stripe_client, 4)
    newer = stripe_client.v1.payment_intents.list(params={"limit": 2, "ending_before": created[0]})
    assert [p.id for p in newer.data] == [created[2], created[1]]
    assert newer.has_more is True


def test_limit_outside_one_to_a_hundred_is_refused(stripe_client: stripe.StripeClient) -> None:
    for limit in (0, 101):
        with pytest.raises(stripe.InvalidRequestError) as refused:
            stripe_client.v1.payment_intents.list(params={"limit": limit})
        assert refused.value.param == "limit"


def test_the_created_filter_selects_by_unix_time(stripe_client: stripe.StripeClient) -> None:
    intent_id = create_intents(stripe_client, 1)[0]
    created = stripe_client.v1.payment_intents.retrieve(intent_id).created
    assert created == pytest.approx(time.time(), abs=5)

    within = stripe_client.v1.payment_intents.list(params={"created": {"gte": created}})
    after = stripe_client.v1.payment_intents.list(params={"created": {"gt": created}})

    assert [p.id for p in within.data] == [intent_id]
    assert after.data == []


def test_events_list_filters_by_type_and_pages(stripe_client: stripe.StripeClient) -> None:
    create_intents(stripe_client, 3)
    stripe_client.v1.payment_intents.create(
        params={"amount": 100, "currency": "eur", **CARDS, "payment_method": "pm_card_visa", "confirm": True}
    )

    created = stripe_client.v1.events.list(params={"type": "payment_intent.created"})
    family = stripe_client.v1.events.list(params={"type": "payment_intent.*", "limit": 2})

    assert len(created.data) == 4
    walked = [event.type for event in family.auto_paging_iter()]
    assert walked == ["payment_intent.succeeded", *["payment_intent.created"] * 4]


def test_an_event_has_stripes_shape_and_can_be_retrieved(stripe_client: stripe.StripeClient) -> None:
    intent_id = create_intents(stripe_client, 1)[0]
    listed = stripe_client.v1.events.list().data[0]

    event = stripe_client.v1.events.retrieve(listed.id)

    assert event.id.startswith("evt_") and event.object == "event"
    assert (event.type, event.data.object.id, event.livemode) == ("payment_intent.created", intent_id, False)
    assert event.api_version and event.created and event.pending_webhooks == 0
    assert event.request.idempotency_key  # the library sends one with every POST


def test_events_hold_the_object_as_it_was_when_the_event_happened(
    sim: ProviderSimProcess, stripe_client: stripe.StripeClient
) -> None:
    intent = stripe_client.v1.payment_intents.create(
        params={"amount": 100, "currency": "eur", **CARDS, "payment_method": "pm_card_visa", "confirm": True}
    )
    listed = stripe_client.v1.events.list().data[::-1]
    intent_events = [event for event in listed if event.type.startswith("payment_intent.")]
    first, last = intent_events[0], intent_events[-1]
    assert first.data.object.status == "requires_confirmation"
    assert last.data.object.status == "succeeded"
    assert intent.status == "succeeded"


def test_reset_forgets_every_object(sim: ProviderSimProcess, stripe_client: stripe.StripeClient) -> None:
    intent_id = create_intents(stripe_client, 1)[0]
    sim.reset()
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.payment_intents.retrieve(intent_id)
    assert stripe_client.v1.events.list().data == []


def test_search_finds_intents_by_metadata_and_status(stripe_client: stripe.StripeClient) -> None:
    wanted = stripe_client.v1.payment_intents.create(
        params={"amount": 100, "currency": "eur", **CARDS, "metadata": {"order_id": "ord_search"}}
    )
    stripe_client.v1.payment_intents.create(
        params={"amount": 100, "currency": "eur", **CARDS, "metadata": {"order_id": "x"}}
    )

    found = stripe_client.v1.payment_intents.search(
        params={"query": "metadata['order_id']:'ord_search' AND status:'requires_payment_method'"}
    )
    none = stripe_client.v1.payment_intents.search(params={"query": "metadata['order_id']:'ord_search' AND amount>100"})

    assert [intent.id for intent in found.data] == [wanted.id]
    assert none.data == []


def test_search_results_page_through_next_page(stripe_client: stripe.StripeClient) -> None:
    created = create_intents(stripe_client, 5)
    first = stripe_client.v1.payment_intents.search(params={"query": "currency:'eur'", "limit": 2})
    assert first.has_more and first.next_page
    assert [intent.id for intent in first.auto_paging_iter()] == created[::-1]


def test_a_malformed_search_query_is_refused(stripe_client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.payment_intents.search(params={"query": "colour:'red'"})
    assert refused.value.param == "query"
