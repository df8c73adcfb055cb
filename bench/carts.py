"""Ready carts for the benchmarks: one item, shipping to Germany, made ahead of time (never timed). The bench seeds
the `std` shipping method and the German tax rates first."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx

ADDRESS = {"name": "Bench", "line1": "1 Main St", "city": "Berlin", "postal_code": "10115", "country": "DE"}
PARALLEL = 8


def ready_carts(url: str, count: int, *, sku_of: Callable[[int], str]) -> list[str]:
    """``count`` carts, the n-th holding one unit of ``sku_of(n)``."""
    local = threading.local()  # one keep-alive connection per thread

    def make(number: int) -> str:
        if not hasattr(local, "http"):
            local.http = httpx.Client(base_url=url, timeout=30)
        http: httpx.Client = local.http
        cart_id: str = http.post("/v1/carts", json={"currency": "EUR", "country": "DE"}).raise_for_status().json()["id"]
        http.put(f"/v1/carts/{cart_id}/items/{sku_of(number)}", json={"quantity": 1}).raise_for_status()
        http.put(f"/v1/carts/{cart_id}/shipping", json={"address": ADDRESS, "method": "std"}).raise_for_status()
        return cart_id

    with ThreadPoolExecutor(PARALLEL) as pool:
        return list(pool.map(make, range(count)))
