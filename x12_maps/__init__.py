"""Implementation-guide knowledge, one module per guide: 837P (005010X222A1) writer and
reader, 999 (X231A1), 277CA (X214), 835 (X221A1) and TA1 readers. Built on the generic
X12 machinery in :mod:`gateway.x12`. Empty until 837P generation lands.
"""
