"""`checkout-engine run` on a fresh directory: migrates the embedded database, writes the demo catalog and serves
the storefront a new user tries first."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

STARTUP_DEADLINE_SECONDS = 30


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def running(tmp_path: Path) -> Iterator[tuple[str, str]]:
    port, sim_port = _free_port(), _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHECKOUT_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "checkout_engine.cli", "run", "--port", str(port), "--sim-port", str(sim_port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_DEADLINE_SECONDS
    try:
        while True:
            assert process.poll() is None, process.stdout.read().decode() if process.stdout else "exited"
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "checkout-engine run did not become ready"
            time.sleep(0.1)
        yield base, f"http://127.0.0.1:{sim_port}"
    finally:
        process.terminate()
        process.wait(timeout=15)
    assert (tmp_path / "var" / "checkout.db").exists()


def test_a_new_user_completes_a_purchase_end_to_end_with_the_try_it_command(running: tuple[str, str]) -> None:
    api, sim = running
    result = subprocess.run(
        [sys.executable, "-m", "checkout_engine.cli", "try-it", "--url", api, "--sim-url", sim],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "order is fulfilled" in result.stdout + result.stderr


def test_the_dashboard_is_served_and_a_demo_staff_login_is_printed(running: tuple[str, str]) -> None:
    api, _ = running
    login = httpx.get(f"{api}/ops/login")
    assert login.status_code == 200 and "password" in login.text.lower()


def test_a_new_user_can_price_a_cart_from_the_demo_catalog(running: tuple[str, str]) -> None:
    running_api, _ = running
    cart = httpx.post(f"{running_api}/v1/carts", json={"currency": "EUR", "country": "DE"}).json()
    response = httpx.put(f"{running_api}/v1/carts/{cart['id']}/items/TSHIRT-BLUE-M", json={"quantity": 2})
    assert response.status_code == 200
    coupon = httpx.put(f"{running_api}/v1/carts/{cart['id']}/coupon", json={"code": "WELCOME10"})
    quote = coupon.json()["quote"]
    assert (quote["subtotal"], quote["discount_total"]) == (3998, 400)
    assert quote["total"] == 3998 - 400 + quote["tax_total"]
