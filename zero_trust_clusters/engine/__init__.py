"""The offline engine: the real program under Pulumi mocks, captured and policy-checked."""
