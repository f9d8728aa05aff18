"""The page as msgspec structs: typed decoding straight from bytes, the fastest in Python."""

import datetime

import msgspec


class MLog(msgspec.Struct, rename="camel", frozen=True):
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


class MPage(msgspec.Struct, frozen=True):
    logs: list[MLog]
    total: int
    page: int
    page_size: int


def page_decoder() -> msgspec.json.Decoder[MPage]:
    """The yardstick's decoder (built here: a plain-install run hides msgspec from the SDK)."""
    return msgspec.json.Decoder(MPage)
