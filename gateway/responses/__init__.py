"""Response ingestion: TA1, 999, 277CA and 835 files read, matched and applied once."""
