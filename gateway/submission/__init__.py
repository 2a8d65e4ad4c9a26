"""Submission: route ready claims, build and validate 837P interchanges, fill the outbox."""
