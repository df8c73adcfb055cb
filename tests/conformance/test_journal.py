"""The simulator's journal, which the conformance checks read: each `/v1` exchange as one line, on disk by the time
the client has its answer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import stripe

from conformance.stripe_conformance import decode_form
from support.provider_sim_process import ProviderSimProcess


def last_entry(journal_file: Path) -> dict[str, object]:
    entry: dict[str, object] = json.loads(journal_file.read_text(encoding="utf-8").splitlines()[-1])
    return entry


def test_an_exchange_is_journaled_before_its_answer_reaches_the_client(
    sim: ProviderSimProcess, journal_file: Path
) -> None:
    client = sim.stripe_client()
    intent = client.v1.payment_intents.create(
        params={"amount": 1000, "currency": "eur", "metadata": {"order_id": "ord_1"}},
        options={"idempotency_key": "journal-create"},
    )

    entry = last_entry(journal_file)

    assert (entry["method"], entry["path"], entry["status"]) == ("POST", "/v1/payment_intents", 200)
    assert decode_form(str(entry["form"])) == {"amount": "1000", "currency": "eur", "metadata": {"order_id": "ord_1"}}
    assert entry["idempotency_key"] == "journal-create"
    assert entry["stripe_version"]
    assert isinstance(entry["body"], dict) and entry["body"]["id"] == intent.id


def test_a_refusal_is_journaled_with_its_status_and_query(sim: ProviderSimProcess, journal_file: Path) -> None:
    client = sim.stripe_client()
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.payment_intents.retrieve("pi_missing", params={"expand": ["latest_charge"]})

    entry = last_entry(journal_file)

    assert (entry["method"], entry["path"], entry["status"]) == ("GET", "/v1/payment_intents/pi_missing", 404)
    assert decode_form(str(entry["query"])) == {"expand": {"0": "latest_charge"}}
    assert isinstance(entry["body"], dict) and entry["body"]["error"]["type"] == "invalid_request_error"
