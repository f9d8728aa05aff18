"""The progress bar of ``to_pandas(progress=True)`` / ``to_polars(progress=True)``.

It is tqdm's, which the ``pandas`` and ``polars`` extras install: a widget in Jupyter (when
``ipywidgets`` is there, as in most Jupyter installs; a text bar in the cell otherwise), a
bar on stderr in a terminal, and nothing at all when stderr is not a terminal and no notebook
is running (a cron job's log stays clean). The total is known once the first page answered.

A widget shows only where a widget manager runs: a notebook exported with nbconvert, GitHub's
preview or a viewer without widgets showed nothing, or the text tqdm saved with the widget when
it was first displayed (``api logs: 0%| | 0/453``). So the widget is displayed under a display
id, and when the bar closes that display becomes the bar's final line as plain text
(``api logs: 100%|##########| 453/453 [...]``), which every viewer shows.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import sys
from collections.abc import Callable
from typing import Any

from meetbot_sdk._utils._extras import require

__all__ = ["Progress", "in_notebook", "start_progress"]


def in_notebook() -> bool:
    """Whether this code runs in a Jupyter kernel (not a plain IPython terminal)."""
    ipython = sys.modules.get("IPython")
    shell = getattr(ipython, "get_ipython", lambda: None)()
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


class Progress:
    """Counts logs on a tqdm bar whose total follows what the pages say.

    The bar is made when the first page has answered, so it starts with the total; a walk
    that finds nothing shows no bar.

    Args:
        make_bar: Makes the tqdm bar, given ``total=`` and ``initial=``.
        already: Logs counted before this bar (by an earlier, failed call it goes on with).
    """

    def __init__(
        self, make_bar: Callable[..., Any], *, already: int = 0, widget: bool = False
    ) -> None:
        self._make_bar = make_bar
        self._already = already
        self._widget = widget
        self._bar: Any = None
        self._display: Any = None  # the widget's display handle, for the text it ends as

    def advance(self, count: int, *, remaining: int) -> None:
        """Count ``count`` more logs, with ``remaining`` still to come as far as is known."""
        bar = self._bar
        if bar is None:
            already = self._already
            self._bar = self._make_bar(total=already + count + remaining, initial=already)
            if self._widget:
                self._display = _display(self._bar.container)
            self._bar.update(count)
            return
        total = bar.n + count + remaining
        if bar.total != total:
            self._set_total(total)
        bar.update(count)

    def finish(self) -> None:
        """The walk is over: the total is what was counted."""
        if self._bar is not None and self._bar.total != self._bar.n:
            self._set_total(self._bar.n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            if self._display is not None:
                # The final line as text, in place of the widget: what any viewer can show.
                self._display.update({"text/plain": str(self._bar)}, raw=True)

    def _set_total(self, total: int) -> None:
        bar = self._bar
        if self._widget:
            # tqdm.notebook's widget takes a new maximum only through reset(), which also
            # sets the count back to 0: count again what was counted.
            counted = bar.n
            bar.reset(total=total)
            bar.update(counted)
        else:
            bar.total = total
            bar.refresh()


def _display(widget: object) -> Any:
    """Show ``widget`` in the cell; return the handle that updates what it shows."""
    # Looked up now: only in a notebook, where IPython runs (and typed Any: it is untyped).
    display = importlib.import_module("IPython.display").display
    return display(widget, display_id=True)


def start_progress(
    enabled: object, *, extra: str, feature: str, already: int = 0
) -> Progress | None:
    """The progress bar for one ``to_*()`` call, or ``None`` when not ``enabled``.

    Raises:
        TypeError: ``enabled`` is not a bool.
        ImportError: tqdm is missing; the message is the extra's install line.
    """
    if not isinstance(enabled, bool):
        msg = f"progress must be True or False, got {enabled!r}"
        raise TypeError(msg)
    if not enabled:
        return None
    tqdm = require("tqdm", extra, feature=feature)
    options: dict[str, Any] = {"unit": " logs", "desc": "api logs"}
    make: Callable[..., Any]
    widget = False
    if not in_notebook():
        # disable=None: tqdm draws only when stderr is a terminal.
        make = functools.partial(tqdm.std.tqdm, file=sys.stderr, disable=None, **options)
    elif importlib.util.find_spec("ipywidgets") is not None:
        notebook = require("tqdm.notebook", extra, feature=feature)
        # display=False: the bar is displayed by Progress, under a display id (see above).
        make, widget = functools.partial(notebook.tqdm, display=False, **options), True
    else:
        # In a notebook without widgets: a text bar in the cell (stderr is no terminal there).
        make = functools.partial(tqdm.std.tqdm, file=sys.stderr, disable=False, **options)
    return Progress(make, already=already, widget=widget)
