"""Rules of the model for what happens in the back office, beside the customer: operators holding an order for a
review and clearing it, cancelling it while the customer pays (a paid order's cancellation waits for a second
admin, who approves or rejects it), and the capture of manual-capture payments going wrong (the bank lets an
authorization go first, the worker gives up on a capture during an outage)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from hypothesis import strategies as st
from hypothesis.stateful import rule

from checkout_engine.admin import keys
from checkout_engine.admin.roles import Role
from checkout_engine.db.tables import jobs
from checkout_engine.payments.capture import CAPTURE_PAYMENT
from model.journeys import CartRef
from model.machine import ModelState, carts
from model.strategies import PAYMENT_METHODS

REVIEW_ACTIONS = st.sampled_from(["mark_for_review", "clear_review"])


class BackOffice(ModelState):
    def _act(self, cart: CartRef, action: str, *, at_once_with: tuple[str, str] | None = None) -> None:
        """An admin action on the cart's order (200; 202, an approval request, for a paid order's cancellation; or
        409 if its state does not allow it); with ``at_once_with`` (an intent and a payment method), the customer
        pays that intent at the same moment, from another thread."""
        if cart.order is None:
            return
        path = f"/admin/v1/orders/{cart.order.id}/actions/{action}"
        body, headers = {"reason": "model"}, self.world.admin
        if at_once_with is None:
            answer = self.world.client.post(path, json=body, headers=headers)
        else:
            with ThreadPoolExecutor(max_workers=2) as pool:
                paying = pool.submit(self._pay, *at_once_with)
                answer = pool.submit(self.world.http.post, path, json=body, headers=headers).result()
                paying.result()
        assert answer.status_code in (200, 202, 409), answer.text

    def _second_admin(self) -> dict[str, str]:
        if not hasattr(self, "_second_admin_headers"):
            with self.world.engine.begin() as conn:
                _, key = keys.create(conn, name=f"second-admin-{id(self)}", role=Role.ADMIN)
            self._second_admin_headers = {"Authorization": f"Bearer {key}"}
        return self._second_admin_headers

    @rule(decision=st.sampled_from(["approve", "reject"]))
    def second_admin_decides(self, decision: str) -> None:
        """Another admin approves (the order is cancelled with a full refund and its stock returned, if it still
        may be: otherwise 409 ``approval_stale``) or rejects every request waiting for a second person."""
        listed = self.world.client.get("/admin/v1/approvals", params={"status": "pending"}, headers=self.world.admin)
        assert listed.status_code == 200, listed.text
        for request in listed.json()["data"]:
            path = f"/admin/v1/approvals/{request['id']}/{decision}"
            answer = self.world.client.post(path, json={"reason": "model"}, headers=self._second_admin())
            assert answer.status_code in (200, 409), answer.text

    @rule(cart=carts, action=REVIEW_ACTIONS)
    def operator_reviews(self, cart: CartRef, action: str) -> None:
        """An operator holds the order for a review (nothing ships meanwhile, whatever is paid or refunded), or
        clears it (what the review held back goes ahead)."""
        self._act(cart, action)

    @rule(cart=carts, method=st.sampled_from(PAYMENT_METHODS))
    def operator_cancels_while_the_customer_pays(self, cart: CartRef, method: str) -> None:
        """The operator's cancel and the customer's payment of the order's latest intent, at the same moment."""
        intents = cart.order.intents if cart.order else []
        if intents:
            self._act(cart, "cancel", at_once_with=(intents[-1], method))

    @rule(data=st.data())
    def bank_releases_an_authorization(self, data: st.DataObject) -> None:
        """An authorization not captured yet is let go at the provider (Stripe cancels the intent itself), before
        or after the worker tried to capture it."""
        listed = self.world.stripe.v1.payment_intents.list(params={"limit": 100}).auto_paging_iter()
        held = sorted(intent.id for intent in listed if intent.status == "requires_capture")
        if held:
            intent = held[data.draw(st.integers(0, len(held) - 1), label="which")]
            self.world.stripe.v1.payment_intents.cancel(intent)

    @rule()
    def capture_jobs_die(self) -> None:
        """The worker gives up on every capture it has queued or is running (a long provider outage): dead jobs,
        which only the capture sweep makes good (``time_passes``, and settling)."""
        queued = jobs.c.status.in_(["queued", "running"])
        with self.world.engine.begin() as conn:
            died = jobs.update().where(jobs.c.kind == CAPTURE_PAYMENT, queued)
            conn.execute(died.values(status="dead", last_error="model: the provider was down for too long"))
