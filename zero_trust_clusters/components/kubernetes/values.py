"""Values that may be plain (for `ztc render`) or Pulumi Outputs (for the deployment)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import pulumi

T = TypeVar("T")


def lift(fn: Callable[..., T], *values: Any) -> T | pulumi.Output[T]:
    """`fn(*values)` now when every value is plain, else once the Outputs resolve.

    One renderer thus serves both `ztc render` (strings) and the component (Outputs)."""
    if any(isinstance(v, pulumi.Output) for v in values):
        return pulumi.Output.all(*values).apply(lambda resolved: fn(*resolved))
    return fn(*values)
