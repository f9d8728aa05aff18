"""How a request travels: the HTTP library (httpx, or httpx2 on request), the pools the SDK
makes for itself, and their asyncio network layer."""
