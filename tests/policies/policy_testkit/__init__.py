"""Fixtures shared by the policy tests: a hand-written estate, rule cases, gRPC helpers."""
