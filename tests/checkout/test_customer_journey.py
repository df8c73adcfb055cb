"""The customer journey over HTTP: cart, checkout, and the payment confirmed at the provider by the browser with
the publishable key and the client secret (the paid transition itself arrives later, from the provider)."""

import httpx
import stripe
from fastapi.testclient import TestClient

from support.checkout import ADDRESS
from support.provider_sim_process import ProviderSimProcess


def test_a_customer_builds_a_cart_checks_out_and_pays_with_a_card(
    shop: TestClient, live: str, sim: ProviderSimProcess
) -> None:
    with httpx.Client(base_url=live, timeout=30) as http:
        cart = http.post("/v1/carts", json={"currency": "EUR", "email": "ada@example.com"}).json()
        http.put(f"/v1/carts/{cart['id']}/items/SHIRT", json={"quantity": 1})
        http.put(f"/v1/carts/{cart['id']}/items/EBOOK", json={"quantity": 1})
        quote = http.put(f"/v1/carts/{cart['id']}/shipping", json={"address": ADDRESS, "method": "standard"}).json()
        total = quote["quote"]["total"]
        placed = http.post(
            f"/v1/carts/{cart['id']}/checkout", headers={"Idempotency-Key": "journey"}, json={"expected_total": total}
        )
        assert placed.status_code == 201, placed.text
        order = placed.json()

        browser = stripe.StripeClient("pk_test_storefront", base_addresses={"api": sim.url}, max_network_retries=0)
        intent = browser.v1.payment_intents.confirm(
            order["payment"]["provider_payment_id"],
            params={"payment_method": "pm_card_visa", "client_secret": order["payment"]["client_secret"]},
        )
        assert (intent.status, intent.amount_received) == ("succeeded", total)

        view = http.get(f"/v1/orders/{order['order_id']}", headers={"X-Order-Token": order["order_token"]}).json()
        assert view["total"] == total and view["payment"]["provider_payment_id"] == intent.id
