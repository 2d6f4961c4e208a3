"""Zero-trust CrossGuard rules: importable without starting the pack (see pack.build_pack)."""
