"""Pure domain model: claims, scrubbing rules, statuses. No I/O here."""
