"""N customers, each a thread running journey after journey until the run's time is up. Each customer has its own
``random.Random`` derived from the run's seed, so a seed always asks for the same journeys in the same order."""

from __future__ import annotations

import random
import threading
import time
import traceback
from dataclasses import dataclass, field

import httpx

from checkout_engine.chaos.answers import AnswerBook
from checkout_engine.chaos.config import CLOCK_JUMPS_PER_RUN
from checkout_engine.chaos.journeys import JOURNEYS, run_one
from checkout_engine.chaos.simulator import ClockBudget, SimControl
from checkout_engine.chaos.steps import Shopper
from checkout_engine.chaos.storefront import Browser, GaveUp, Storefront

TAIL_SECONDS = 25.0  # journeys under way when time is up may finish within this
JOIN_GRACE_SECONDS = 20.0  # beyond the tail: one HTTP timeout


@dataclass(frozen=True, slots=True)
class JourneyResult:
    kind: str
    outcome: str
    seconds: float
    customer: int


@dataclass(frozen=True, slots=True)
class Shop:
    """Where the customers go: the API processes, the simulator and the support desk's key; and the run's budget
    of jumps of the simulator's clock, which the customers share."""

    api_urls: list[str]
    sim_url: str
    admin_key: str
    book: AnswerBook
    kinds: tuple[str, ...] = tuple(JOURNEYS)  # the journeys customers choose from
    clock: ClockBudget = field(default_factory=lambda: ClockBudget(CLOCK_JUMPS_PER_RUN))


def _pick(rng: random.Random, kinds: tuple[str, ...]) -> str:
    return rng.choices(kinds, weights=[JOURNEYS[kind][1] for kind in kinds])[0]


def _attempt(kind: str, shopper: Shopper) -> str:
    """One journey; a failure is an outcome too, never the end of the customer's thread."""
    try:
        return run_one(kind, shopper)
    except GaveUp:
        return "gave_up"
    except httpx.HTTPStatusError as error:
        return f"http_{error.response.status_code}"
    except Exception as error:  # reported in the summary; the run goes on
        traceback.print_exc()
        return f"error:{type(error).__name__}"


def _customer(index: int, shop: Shop, *, seed: int, until: float, results: list[JourneyResult]) -> None:
    rng = random.Random(f"{seed}:customer:{index}")
    store = Storefront(shop.api_urls, prefer=index, book=shop.book)
    browser, sim = Browser(shop.sim_url), SimControl(shop.sim_url)
    shopper = Shopper(
        f"chaos-{seed}-{index}", store, browser, sim, shop.admin_key, rng, until + TAIL_SECONDS, clock=shop.clock
    )
    try:
        while time.monotonic() < until:
            kind = _pick(rng, shop.kinds)
            started = time.monotonic()
            outcome = _attempt(kind, shopper)
            results.append(JourneyResult(kind, outcome, round(time.monotonic() - started, 2), index))
            time.sleep(rng.uniform(0.0, 0.5))  # load shaping: customers do not arrive in lockstep
    finally:
        store.close()
        browser.close()
        sim.close()


def run_customers(shop: Shop, *, count: int, seed: int, duration: float) -> list[JourneyResult]:
    """Runs ``count`` customers for ``duration`` seconds (plus the tail of journeys under way)."""
    until = time.monotonic() + duration
    results: list[JourneyResult] = []  # list.append is atomic: threads share it without a lock
    threads = [
        threading.Thread(
            target=_customer,
            args=(index, shop),
            kwargs={"seed": seed, "until": until, "results": results},
            name=f"customer-{index}",
            daemon=True,
        )
        for index in range(count)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, until + TAIL_SECONDS + JOIN_GRACE_SECONDS - time.monotonic()))
    return list(results)
