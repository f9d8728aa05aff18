"""Proxy policy: the bearer token never travels in clear text through a proxy.

A plain ``http://`` base URL is only ever loopback (see :mod:`meetbot_sdk._config`). A
client the SDK makes for it ignores the environment's proxies (``trust_env=False``); an
injected ``http_client`` is refused when it could send through one. The libraries offer no
public way to ask which transport a URL would get, so the check reads only public facts and
fails closed: it refuses a client that holds any mounted transport (``proxy=`` and
``mounts=`` put them there) unless ``NO_PROXY`` names the host exactly, and a client that
trusts an environment naming a proxy for the host.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Mapping

from meetbot_sdk._transport._http import Backend, held_values

__all__ = ["refuse_proxy_in_clear"]


def refuse_proxy_in_clear(http: object, base_url: str, backend: Backend) -> None:
    """Refuse an ``http_client`` that could send a plain-http base URL through a proxy.

    Raises:
        ValueError: Saying why, and how to build a client that is accepted.
    """
    url = backend.URL(base_url)
    if url.scheme != "http":
        return
    trust_env = bool(getattr(http, "trust_env", True))
    proxies = urllib.request.getproxies() if trust_env else {}
    exempt = _no_proxy_names(url.host, proxies)
    mounted = _holds_mounts(http)
    from_env = _env_proxy_for_http(proxies)
    if (mounted or from_env) and not exempt:
        raise ValueError(
            f"refusing http_client for plain http:// base_url {base_url!r}: it could send the "
            "requests, bearer token and all, through a proxy (from its proxy= or mounts= "
            "arguments, or the HTTP_PROXY/ALL_PROXY environment variables) in clear text. "
            "Create it without proxy= or mounts= and with trust_env=False (or "
            "NO_PROXY=127.0.0.1,localhost), or use https://."
        )


def _holds_mounts(http: object) -> bool:
    """Whether ``http`` holds a mapping with a transport (or cannot be looked into)."""
    values = held_values(http)
    if values is None:
        return True  # fail closed
    return any(role == "mount" for role, _ in values)


def _env_proxy_for_http(proxies: Mapping[str, str]) -> bool:
    return bool(proxies.get("http") or proxies.get("all"))


def _no_proxy_names(host: str, proxies: Mapping[str, str]) -> bool:
    """Whether ``NO_PROXY`` names ``host`` exactly (or is ``*``), as httpx then mounts no
    proxy for it. Suffix rules are not followed: not matching is the safe side."""
    host = host.strip("[]").lower()
    for listed in proxies.get("no", "").split(","):
        entry = listed.strip().lower()
        if entry == "*":
            return True
        name = entry.partition("://")[2] if "://" in entry else entry
        if name.strip("[]") == host:
            return True
    return False
