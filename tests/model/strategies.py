"""What the model draws from: items and a coupon, payment methods, how a checkout goes, which tabs a customer pays
in, how much an operator refunds, how the shop captures."""

from __future__ import annotations

from hypothesis import strategies as st

PAYMENT_METHODS = (
    "pm_card_visa",
    "pm_card_chargeDeclined",
    "pm_card_authenticationRequired",
    "pm_delayed_succeeds",
    "pm_delayed_fails",
    "pm_card_refundPending",  # its refunds stay pending at the provider for 3 of its days
)
ITEMS = st.dictionaries(st.sampled_from(["SHIRT", "BOOK", "EBOOK"]), st.integers(1, 2), min_size=1, max_size=2)
COUPONS = st.sampled_from([None, "LASTONE"])  # model.conftest: LASTONE can be redeemed once, by one order
OUTCOMES = st.sampled_from(["succeed", "fail"])
FAULTS = st.sampled_from(["error_500", "timeout_after_commit"])
SHARES = st.sampled_from(["all", "half", "one", "too much", "over half, twice at once"])
HOW = st.sampled_from(
    [
        "once",
        "from three tabs at once",
        "through error_500",
        "through error_500 then again",
        "through timeout_after_commit",
        "through timeout_after_commit then again",
        "dying after the order is written",
        "dying after the intent is created",
        "with its events processed before it records the intent",
    ]
)
# How a new payment attempt is asked for: over the API, or with the provider's events about its new intent
# processed before the request records it.
RETRY_HOW = st.sampled_from(["over the API", "with its events processed first"])
CAPTURE = st.sampled_from(["automatic", "manual"])
KEY_CHOICES = st.sampled_from(["new", "again"])  # a new Idempotency-Key, or the last one used for the same thing
TOTALS = st.sampled_from([None, "right", 1])  # the expected_total sent with a checkout: none, the quote's, stale
TABS = st.sampled_from(["latest", "oldest", "all, newest first", "all, oldest first"])
PAY_NOW = st.one_of(st.none(), st.sampled_from(PAYMENT_METHODS))
