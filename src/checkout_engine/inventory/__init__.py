"""Stock reservations: reserve with expiry at checkout, release on failure or expiry, commit only on paid."""
