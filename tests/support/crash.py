"""A process killed mid-command, in-process: an exception nothing catches (a BaseException, as SIGKILL leaves no
handler a chance), raised where the command reports reaching a recovery point."""

from __future__ import annotations


class ProcessDied(BaseException):
    """Stands for SIGKILL: nothing after it runs."""


class DieAt:
    """Checkout hooks that kill the process when it reaches ``point``."""

    def __init__(self, point: str) -> None:
        self.point = point

    def reached(self, point: str) -> None:
        if point == self.point:
            raise ProcessDied(point)
