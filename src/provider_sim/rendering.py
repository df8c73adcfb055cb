"""Objects as JSON, with `expand[]` replacing ids by the objects they name."""

from __future__ import annotations

from collections.abc import Sequence

from provider_sim.errors import invalid_request
from provider_sim.ledger import KINDS, Ledger
from provider_sim.listing import Page
from provider_sim.objects import Charge, Event, JsonObject, PaymentIntent, Refund

Expand = Sequence[str]
JsonPage = tuple[list[JsonObject], bool]


def expanded(ledger: Ledger, body: JsonObject, expand: Expand) -> JsonObject:
    """Replaces each top-level id field named in `expand` by the object it refers to."""
    for path in expand:
        value = body.get(path)
        is_reference = isinstance(value, str) and value.partition("_")[0] in KINDS
        if path not in body or not (value is None or is_reference):
            raise invalid_request(f"This property cannot be expanded ({path}).", param="expand")
        if isinstance(value, str):
            body[path] = ledger.find(value).to_dict()
    return body


def page_json(
    ledger: Ledger, page: Page[PaymentIntent] | Page[Charge] | Page[Refund] | Page[Event], expand: Expand
) -> JsonPage:
    """A page's items as JSON; `data.x` in `expand` expands `x` on every item, as on Stripe's lists."""
    item_expand = [path.removeprefix("data.") for path in expand]
    return [expanded(ledger, item.to_dict(), item_expand) for item in page.data], page.has_more
