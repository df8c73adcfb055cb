"""Staff roles, each including the one before: viewer < support < finance < admin."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class Role(IntEnum):
    VIEWER = 1
    SUPPORT = 2
    FINANCE = 3
    ADMIN = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, label: str) -> Role:
        try:
            return cls[label.upper()]
        except KeyError:
            raise ValueError(f"unknown role {label!r}; one of {', '.join(r.label for r in cls)}") from None


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is acting: a staff key or account with its role. ``name`` goes into audit entries and events."""

    name: str
    role: Role

    def allows(self, needed: Role) -> bool:
        return self.role >= needed
