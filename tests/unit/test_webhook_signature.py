"""Our webhook signature check, cross-checked against the official Stripe verifier."""

import json
import time

import pytest
import stripe

from checkout_engine.webhooks.signature import WebhookSignatureError, signature_header, verify_signature

SECRET = "whsec_test_current"
OLD_SECRET = "whsec_test_previous"
BODY = json.dumps(
    {
        "id": "evt_1",
        "object": "event",
        "type": "payment_intent.succeeded",
        "data": {"object": {"id": "pi_1", "object": "payment_intent"}},
    }
).encode()


def reason(payload: bytes, header: str | None, secrets: list[str], now: float | None = None) -> str:
    with pytest.raises(WebhookSignatureError) as refused:
        verify_signature(payload, header, secrets=secrets, tolerance_seconds=300, now=now)
    assert refused.value.code == "invalid_signature"
    return str(refused.value.details["reason"])


def test_a_correct_signature_is_accepted_by_ours_and_by_the_official_verifier() -> None:
    now = int(time.time())
    header = signature_header(BODY, secret=SECRET, timestamp=now)
    assert verify_signature(BODY, header, secrets=[SECRET], tolerance_seconds=300) == now
    event = stripe.Webhook.construct_event(BODY.decode(), header, SECRET, tolerance=300)
    assert event.id == "evt_1"


def test_any_configured_secret_verifies_so_secrets_can_rotate() -> None:
    header = signature_header(BODY, secret=OLD_SECRET, timestamp=int(time.time()))
    verify_signature(BODY, header, secrets=[SECRET, OLD_SECRET], tolerance_seconds=300)
    assert reason(BODY, header, [SECRET]) == "no_matching_signature"


def test_a_tampered_body_a_wrong_secret_and_a_stale_timestamp_are_refused() -> None:
    now = int(time.time())
    header = signature_header(BODY, secret=SECRET, timestamp=now)
    assert reason(BODY.replace(b"pi_1", b"pi_2"), header, [SECRET]) == "no_matching_signature"
    assert (
        reason(BODY, signature_header(BODY, secret="whsec_other", timestamp=now), [SECRET]) == "no_matching_signature"
    )
    stale = signature_header(BODY, secret=SECRET, timestamp=now - 301)
    assert reason(BODY, stale, [SECRET]) == "timestamp_outside_tolerance"
    future = signature_header(BODY, secret=SECRET, timestamp=now + 301)
    assert reason(BODY, future, [SECRET]) == "timestamp_outside_tolerance"


@pytest.mark.parametrize("header", [None, "", "garbage", "t=abc,v1=00", "t=123", "v1=abcd"])
def test_a_missing_or_malformed_header_is_refused(header: str | None) -> None:
    assert reason(BODY, header, [SECRET]) in {"missing_header", "malformed_header"}


def test_no_configured_secret_refuses_everything() -> None:
    header = signature_header(BODY, secret=SECRET, timestamp=int(time.time()))
    assert reason(BODY, header, []) == "no_secret_configured"


def test_a_signature_or_timestamp_in_non_ascii_characters_is_refused_as_malformed_not_a_crash() -> None:
    now = int(time.time())
    assert reason(BODY, f"t={now},v1=é{'0' * 63}", [SECRET]) == "malformed_header"
    arabic_digits = str(now).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    assert reason(BODY, f"t={arabic_digits},v1={'0' * 64}", [SECRET]) == "malformed_header"
