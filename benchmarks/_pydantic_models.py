"""The same payloads as pydantic v2 models: the yardstick we are held against."""

from __future__ import annotations

import datetime

import pydantic
from pydantic.alias_generators import to_camel


class _Camel(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(alias_generator=to_camel, frozen=True, strict=True)


class PLog(_Camel):
    id: int
    method: str
    path: str
    status_code: int
    response_time_ms: int
    api_key_id: int | None
    api_key_name: str | None
    ip_address: str | None
    user_agent: str | None
    created_at: datetime.datetime = pydantic.Field(strict=False)


class PPage(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(frozen=True, strict=True)
    logs: list[PLog]
    total: int
    page: int
    page_size: int


def stainless_page_model() -> type[pydantic.BaseModel]:
    """:class:`PPage` on the anthropic SDK's base model, which its runtime insists on."""
    import anthropic

    class SLog(anthropic.BaseModel):
        model_config = pydantic.ConfigDict(alias_generator=to_camel, frozen=True)
        id: int
        method: str
        path: str
        status_code: int
        response_time_ms: int
        api_key_id: int | None
        api_key_name: str | None
        ip_address: str | None
        user_agent: str | None
        created_at: datetime.datetime

    class SPage(anthropic.BaseModel):
        logs: list[SLog]
        total: int
        page: int
        page_size: int

    return SPage
