"""Request parameters the simulator's tests share."""

from __future__ import annotations

from typing import Any

# Cards only, chosen explicitly: such an intent needs no `return_url` to be confirmed (as at Stripe).
CARDS: dict[str, Any] = {"allowed_payment_method_types": ["card"]}
CARDS_FORM = {"allowed_payment_method_types[0]": "card"}
