"""Implementations of the payment provider interface."""
