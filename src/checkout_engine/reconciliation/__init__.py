"""Reconciliation: compare our records with the provider's truth, repair or flag, and keep the history."""
