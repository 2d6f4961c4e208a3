"""Test packages: this file makes `tests` the root package, so a test package named like an SDK
(tests/azure) never shadows the SDK itself (`import azure.storage.blob`)."""
