"""Fake kubernetes provider answers for the offline engine (see fakes/__init__.py for the contract)."""

from __future__ import annotations

from typing import Any


def outputs(type_: str, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {}


def resource_id(type_: str, name: str, inputs: dict[str, Any]) -> str | None:
    return None


def call(token: str, args: dict[str, Any]) -> dict[str, Any] | None:
    return None
