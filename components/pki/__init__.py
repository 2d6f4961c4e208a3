"""The portable shared PKI: one root, a name-constrained intermediate per cluster.

`authority` is the pure `cryptography` core; `formats` turns it into what clusters consume.
"""
