"""Generic X12 machinery (separators, segments, envelopes, pyx12 validation).

The only package allowed to import pyx12. Empty until 837P generation lands.
"""
