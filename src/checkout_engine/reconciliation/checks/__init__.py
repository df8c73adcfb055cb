"""The reconciliation checks, each a small unit that reports into a run."""
