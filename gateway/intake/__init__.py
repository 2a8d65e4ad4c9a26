"""Claim intake: read files, parse and scrub each claim, store it idempotently."""
