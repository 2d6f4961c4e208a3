"""The base of every config model: camelCase keys in the stack file, unknown keys refused,
values frozen once validated. Shared by the spec, the PKI settings and the clouds' settings
blocks, and importing nothing of them (so none of them imports another to get it)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class SpecModel(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True
    )
