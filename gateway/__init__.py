"""EDI claim transmission gateway."""

__version__ = "0.1.0"
