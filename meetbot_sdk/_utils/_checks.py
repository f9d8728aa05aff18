"""Argument checks shared by the client's options and the endpoints' parameters."""

from __future__ import annotations

__all__ = ["check_int"]


def check_int(name: str, value: object, *, minimum: int, maximum: int | None = None) -> int:
    """Return ``value`` if it is an ``int`` (not a ``bool``) within the bounds, else raise."""
    if value.__class__ is not int:
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    number: int = value
    if number < minimum or (maximum is not None and number > maximum):
        allowed = f">= {minimum}" if maximum is None else f"between {minimum} and {maximum}"
        raise ValueError(f"{name} must be {allowed}, got {number}")
    return number
