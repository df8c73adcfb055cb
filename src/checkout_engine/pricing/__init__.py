"""Server-side pricing: a pure function from an immutable context to a quote, frozen as a snapshot at checkout."""
