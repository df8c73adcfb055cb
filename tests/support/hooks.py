"""Checkout hooks that let something else happen at a recovery point, in-process: the command reports reaching the
point, ``then`` runs (a worker processes the provider's webhooks, say), and the command goes on."""

from __future__ import annotations

from collections.abc import Callable


class RunAt:
    """Checkout hooks that run ``then`` each time the command reaches ``point``."""

    def __init__(self, point: str, then: Callable[[], object]) -> None:
        self.point = point
        self.then = then

    def reached(self, point: str) -> None:
        if point == self.point:
            self.then()
