"""The types of the SDK's arguments, for annotating your own code.

>>> from meetbot_sdk import MeetBot
>>> from meetbot_sdk.types import ApiLogFilters, Period
>>> period: Period = "7d"
>>> only_errors: ApiLogFilters = {"status_code": 500, "method": "POST"}
>>> def errors_this_week(client: MeetBot) -> int:
...     return client.api_logs.get_page(page_size=1, **only_errors).total

A plain ``str`` is not a :data:`Period` to a type checker: annotate the variable with
:data:`Period` (or compare it against the three values first) instead of casting.
"""

from meetbot_sdk._endpoints import ApiLogFilters, DateLike, Period

__all__ = ["ApiLogFilters", "DateLike", "Period"]

ApiLogFilters.__module__ = __name__
