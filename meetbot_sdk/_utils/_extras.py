"""Optional extras, imported only when a feature that needs one is used.

``import meetbot_sdk`` imports none of them; :func:`require` imports one on demand and, when it
is missing, raises an :class:`ImportError` whose message is the exact ``pip install`` line.
"""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["install_line", "require"]


def install_line(extra: str) -> str:
    """The command that installs ``extra``: ``pip install "meetbot-sdk[pandas]"``."""
    return f'pip install "meetbot-sdk[{extra}]"'


def require(module: str, extra: str, *, feature: str) -> ModuleType:
    """Import ``module`` (which the ``extra`` installs), or say how to install it.

    Args:
        module: The import name, such as ``"pandas"`` or ``"matplotlib.pyplot"``.
        extra: The name of the extra in ``pyproject.toml`` that installs it.
        feature: What the user called, for the message (``"ApiLogPage.to_pandas()"``).

    Raises:
        ImportError: The module is not installed; the message ends with the install line.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        top = module.partition(".")[0]
        if exc.name is not None and exc.name != top and not exc.name.startswith(top + "."):
            raise  # the extra is there but something it needs is broken: show that as it is
        raise ImportError(
            f"{feature} needs the optional {top!r} package. Install it with: {install_line(extra)}",
            name=exc.name,
        ) from None
