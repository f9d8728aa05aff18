"""A fake MeetBot server, for testing code that talks to the MeetBot API.

:class:`FakeMeetBot` serves a seeded, realistic account (API keys, bots, request logs)
over the wire format of the Usage & Analytics API, independently of the SDK's client. Use
it in-process through an ``httpx`` transport, or over real HTTP on a loopback port. Script
failures with :meth:`FakeMeetBot.inject` and :class:`Fault` (error statuses, dropped
connections, delays, broken bodies) and enforce a rate limit with
:meth:`FakeMeetBot.set_rate_limit`. For code that walks the logs page by page,
:meth:`FakeMeetBot.add_logs_after_each_page`, :meth:`FakeMeetBot.set_latency` and
:meth:`FakeMeetBot.fail_randomly` make the account busy, the link slow and failures random.
In-process and over loopback alike:

>>> import httpx
>>> from meetbot_sdk.testing import FakeMeetBot
>>> fake = FakeMeetBot(seed=1, log_count=500)
>>> auth = {"Authorization": f"Bearer {fake.api_key}"}
>>> with httpx.Client(base_url=fake.base_url, transport=fake.transport(), headers=auth) as client:
...     client.get("/users/me/api-logs", params={"page_size": 10}).json()["total"]
500
>>> with fake.serve() as base_url, httpx.Client(base_url=base_url, headers=auth) as client:
...     client.get("/users/me/analytics", params={"period": "7d"}).status_code
200
>>> [request.path for request in fake.requests]
['/users/me/api-logs', '/users/me/analytics']
"""

from types import FunctionType as _FunctionType

from meetbot_sdk.testing._exchange import RecordedRequest
from meetbot_sdk.testing._fake import TEST_API_KEY, FakeMeetBot
from meetbot_sdk.testing._faults import Fault
from meetbot_sdk.testing._instant import instant_waits

__all__ = ["TEST_API_KEY", "FakeMeetBot", "Fault", "RecordedRequest", "instant_waits"]

# Classes and functions report this module, not the private one that defines them.
for _name in __all__:
    if isinstance(_obj := globals()[_name], type | _FunctionType):
        _obj.__module__ = __name__
del _name, _obj
