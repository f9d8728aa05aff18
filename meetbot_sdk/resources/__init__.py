"""The resource classes a client carries: ``client.analytics``, ``client.api_logs`` and
``client.api_keys``, their async twins, and the ``with_raw_response`` views of each.

You reach a resource as an attribute of a client; import its class from here to annotate
code that takes one:

>>> from meetbot_sdk import MeetBot
>>> from meetbot_sdk.resources import ApiKeysResource
>>> def requests_today(api_keys: ApiKeysResource, key_id: int) -> int:
...     return api_keys.get_usage(key_id).requests_today
"""

from meetbot_sdk.resources._resources import (
    AnalyticsResource,
    AnalyticsResourceWithRawResponse,
    ApiKeysResource,
    ApiKeysResourceWithRawResponse,
    ApiLogsResource,
    ApiLogsResourceWithRawResponse,
    AsyncAnalyticsResource,
    AsyncAnalyticsResourceWithRawResponse,
    AsyncApiKeysResource,
    AsyncApiKeysResourceWithRawResponse,
    AsyncApiLogsResource,
    AsyncApiLogsResourceWithRawResponse,
)

__all__ = [
    "AnalyticsResource",
    "AnalyticsResourceWithRawResponse",
    "ApiKeysResource",
    "ApiKeysResourceWithRawResponse",
    "ApiLogsResource",
    "ApiLogsResourceWithRawResponse",
    "AsyncAnalyticsResource",
    "AsyncAnalyticsResourceWithRawResponse",
    "AsyncApiKeysResource",
    "AsyncApiKeysResourceWithRawResponse",
    "AsyncApiLogsResource",
    "AsyncApiLogsResourceWithRawResponse",
]

for _name in __all__:
    globals()[_name].__module__ = __name__
del _name
