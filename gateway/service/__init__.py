"""Composition root and (later) the long-running service loop."""
