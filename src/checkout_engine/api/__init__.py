"""The HTTP edge: parse into typed requests, call one service function, serialise. No business rules here."""
