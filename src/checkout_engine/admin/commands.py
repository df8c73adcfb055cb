"""`checkout-engine admin …`: API keys and dashboard logins."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

import sqlalchemy as sa
import typer
from rich.console import Console

from checkout_engine.admin import keys, users
from checkout_engine.admin.roles import Role
from checkout_engine.db import migrate
from checkout_engine.db.engine import make_engine
from checkout_engine.errors import CheckoutError
from checkout_engine.settings import get_settings

admin = typer.Typer(help="Staff access: API keys and dashboard logins.", no_args_is_help=True)
console = Console(stderr=True, soft_wrap=True)
T = TypeVar("T")
RoleOption = Annotated[str, typer.Option("--role", help="viewer, support, finance or admin.")]


def _role(label: str) -> Role:
    try:
        return Role.parse(label)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None


def _in_transaction(work: Callable[[sa.Connection], T]) -> T:
    """Run ``work`` in one transaction on the configured (and current) database; refusals end the command."""
    engine = make_engine(get_settings().database_url, pool_size=1)
    try:
        migrate.ensure_current(engine)
        with engine.begin() as conn:
            return work(conn)
    except CheckoutError as error:
        console.print(f"[red]{error.message}[/red]")
        raise typer.Exit(code=1) from None
    finally:
        engine.dispose()


@admin.command("create-key")
def create_key(role: RoleOption, name: Annotated[str, typer.Option(help="Who or what uses it, unique.")]) -> None:
    """Create an admin API key and print it once; only its hash is stored."""
    parsed = _role(role)
    record, plain = _in_transaction(lambda conn: keys.create(conn, name=name, role=parsed))
    console.print(f"Created key {record.name} ({record.role.label}). It is shown once; store it now:")
    print(plain)


@admin.command("revoke-key")
def revoke_key(name: Annotated[str, typer.Option(help="The key's name.")]) -> None:
    """Revoke an admin API key; requests with it are refused from now on."""
    _in_transaction(lambda conn: keys.revoke(conn, name))
    console.print(f"Revoked {name}.")


@admin.command("create-user")
def create_user(
    role: RoleOption,
    email: Annotated[str, typer.Option(help="The staff member's email, their login.")],
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, envvar="CHECKOUT_NEW_STAFF_PASSWORD")
    ],
) -> None:
    """Create a dashboard login; the password is stored as an argon2id hash."""
    parsed = _role(role)
    _in_transaction(lambda conn: users.create(conn, email=email, role=parsed, password=password))
    console.print(f"Created {parsed.label} login {email.strip().lower()}.")
