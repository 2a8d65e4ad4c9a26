"""Tests of the sandbox clearinghouse (gateway/simulator)."""
