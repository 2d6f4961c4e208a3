"""Resource rules, one module per cloud; importing this package registers them all."""

from . import aws, azure, gcp, kubernetes, pki  # noqa: F401 - registration side effect
from .registry import RULES, Resource, ResourceRule, rules_for

__all__ = ["RULES", "Resource", "ResourceRule", "rules_for"]
