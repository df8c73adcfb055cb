"""The account's lists and search: read-only views, newest first, paged as Stripe pages them."""

from __future__ import annotations

import threading

from provider_sim.ledger import Ledger
from provider_sim.listing import paginate
from provider_sim.objects import Charge, Event, PaymentIntent, Refund
from provider_sim.params import CreatedRange, PageRequest
from provider_sim.rendering import Expand, JsonPage, page_json
from provider_sim.search import Query


def _event_types_match(event: Event, types: list[str]) -> bool:
    """Exact types, or a family such as `charge.dispute.*`."""
    return not types or any(
        event.type == wanted or (wanted.endswith(".*") and event.type.startswith(wanted[:-1])) for wanted in types
    )


class AccountLists:
    """Mixed into the simulator, which provides the ledger and the lock."""

    ledger: Ledger
    _lock: threading.RLock

    def list_payment_intents(self, page: PageRequest, created: CreatedRange, expand: Expand = ()) -> JsonPage:
        def keep(intent: PaymentIntent) -> bool:
            return created.contains(intent.created)

        with self._lock:
            return page_json(self.ledger, paginate(self.ledger.payment_intents, page, keep), expand)

    def search_payment_intents(self, query: Query, limit: int, offset: int) -> JsonPage:
        """Matches newest first; `offset` is where the previous page stopped."""
        with self._lock:
            matching = [i.to_dict() for i in reversed(list(self.ledger.payment_intents)) if query.matches(i.to_dict())]
            return matching[offset : offset + limit], len(matching) > offset + limit

    def list_charges(
        self,
        page: PageRequest,
        created: CreatedRange,
        intent_id: str | None,
        transfer_group: str | None,
        expand: Expand = (),
    ) -> JsonPage:
        def keep(charge: Charge) -> bool:
            return (
                created.contains(charge.created)
                and intent_id in (None, charge.payment_intent)
                and transfer_group in (None, charge.transfer_group)
            )

        with self._lock:
            return page_json(self.ledger, paginate(self.ledger.charges, page, keep), expand)

    def list_refunds(
        self,
        page: PageRequest,
        created: CreatedRange,
        intent_id: str | None,
        charge_id: str | None,
        expand: Expand = (),
    ) -> JsonPage:
        def keep(refund: Refund) -> bool:
            return (
                created.contains(refund.created)
                and intent_id in (None, refund.payment_intent)
                and charge_id in (None, refund.charge)
            )

        with self._lock:
            return page_json(self.ledger, paginate(self.ledger.refunds, page, keep), expand)

    def list_events(self, page: PageRequest, created: CreatedRange, types: list[str]) -> JsonPage:
        def keep(event: Event) -> bool:
            return created.contains(event.created) and _event_types_match(event, types)

        with self._lock:
            return page_json(self.ledger, paginate(self.ledger.events, page, keep), ())
