"""Sphinx configuration for the meetbot-sdk documentation."""

from __future__ import annotations

import importlib
import logging
import pkgutil
import re
import sys
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.addnodes import pending_xref
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.pycode import ModuleAnalyzer
from sphinx.util.nodes import make_refnode

# Document the package from this checkout, whether or not it is installed.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import meetbot_sdk

project = "meetbot-sdk"
author = "MeetBot SDK developers"
copyright = "MeetBot SDK developers"
version = meetbot_sdk.__version__
release = meetbot_sdk.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
]

exclude_patterns = ["_build"]

# --- autodoc ---------------------------------------------------------------------------------
autodoc_member_order = "bysource"
autodoc_typehints = "signature"

# --- napoleon: Google style only -------------------------------------------------------------
napoleon_google_docstring = True
napoleon_numpy_docstring = False


# --- the defaults and limits the pages quote, read from the code --------------------------------
def _substitutions() -> str:
    from meetbot_sdk import _constants

    timeout = _constants.DEFAULT_TIMEOUT
    values = {
        "DEFAULT_BASE_URL": f"``{_constants.DEFAULT_BASE_URL}``",
        "DEFAULT_TIMEOUT": f"{timeout.connect:g} s to connect, {timeout.read:g} s for the rest",
        "DEFAULT_MAX_RETRIES": f"{_constants.DEFAULT_MAX_RETRIES}",
        "DEFAULT_MAX_RETRY_WAIT": f"{_constants.DEFAULT_MAX_RETRY_WAIT:g}",
        "DEFAULT_MAX_RESPONSE_BYTES": (
            f"{_constants.DEFAULT_MAX_RESPONSE_BYTES >> 20} MiB "
            f"({_constants.DEFAULT_MAX_RESPONSE_BYTES} bytes)"
        ),
        "MAX_PAGE_SIZE": f"{_constants.MAX_PAGE_SIZE}",
        "MAX_CONCURRENCY": f"{_constants.MAX_CONCURRENCY}",
        "PERIODS": ", ".join(f"``{period!r}``" for period in _constants.PERIODS),
        "INITIAL_BACKOFF": f"{_constants.INITIAL_BACKOFF:g}",
        "MAX_BACKOFF": f"{_constants.MAX_BACKOFF:g}",
    }
    return "\n".join(f".. |{name}| replace:: {value}" for name, value in values.items())


rst_epilog = _substitutions()

# --- HTML ------------------------------------------------------------------------------------
html_theme = "furo"
html_title = f"meetbot-sdk {release}"


# --- hooks -----------------------------------------------------------------------------------
def _defining_module_doc(name: str, obj: object) -> list[str] | None:
    """The doc comment of a constant that a package re-exports, from the private module
    that defines it (autodoc would otherwise show the docstring of the value's type)."""
    package_name, _, attr = name.rpartition(".")
    package = importlib.import_module(package_name)
    for module_info in pkgutil.iter_modules(getattr(package, "__path__", []), package_name + "."):
        if not module_info.name.rpartition(".")[2].startswith("_"):
            continue
        module = importlib.import_module(module_info.name)
        if getattr(module, attr, None) is not obj:
            continue
        docs = ModuleAnalyzer.for_module(module_info.name).find_attr_docs()
        if ("", attr) in docs:
            return list(docs["", attr])
    return None


_PUBLIC_MODULES = (
    "meetbot_sdk",
    "meetbot_sdk.types",
    "meetbot_sdk.resources",
    "meetbot_sdk.testing",
)


def _share_attribute_docs(app: Sphinx) -> None:
    """Give each public module the doc comments of the class attributes its classes define
    elsewhere (a model's fields, a client's resources, the filters' keys).

    A public class reports its public module (``meetbot_sdk.Analytics``), so autodoc looks
    for ``api_calls: ApiCallStats`` and the string under it in ``meetbot_sdk/__init__.py``
    and finds nothing. The comments are read from the private module that holds the class.
    """
    for public_name in _PUBLIC_MODULES:
        public = importlib.import_module(public_name)
        analyzer = ModuleAnalyzer.for_module(public_name)  # cached: autodoc gets this one
        analyzer.analyze()
        for module_name, module in sorted(sys.modules.items()):
            parts = module_name.split(".")
            if parts[0] != "meetbot_sdk" or not any(p.startswith("_") for p in parts[1:]):
                continue
            for (class_name, attr), doc in (
                ModuleAnalyzer.for_module(module_name).find_attr_docs().items()
            ):
                owner = getattr(public, class_name, None) if class_name else None
                if isinstance(owner, type) and getattr(module, class_name, None) is owner:
                    analyzer.attr_docs.setdefault((class_name, attr), list(doc))


def _process_docstring(  # noqa: PLR0917 (the signature autodoc calls)
    app: Sphinx, what: str, name: str, obj: object, options: Any, lines: list[str]
) -> None:
    if what == "data" and name.startswith("meetbot_sdk"):
        found = _defining_module_doc(name, obj)
        if found is not None:
            lines[:] = found
    if what in ("attribute", "data", "property") and lines:
        # Napoleon reads "text: more" on the first line of an attribute's docstring as
        # "type: description". Types here come from annotations (STYLE.md: no types repeated
        # in docstrings), so the line is prose: an empty reST comment takes its place.
        lines[:0] = ["..", ""]


_PRIVATE_MODULE = re.compile(r"\._[a-z][a-z_]*(?=\.)")


def _public_name(name: str) -> str:
    """``meetbot_sdk._models.Analytics`` -> ``meetbot_sdk.Analytics``."""
    return _PRIVATE_MODULE.sub("", name)


def _resolve_by_public_name(
    app: Sphinx, env: BuildEnvironment, node: pending_xref, contnode: nodes.TextElement
) -> nodes.reference | None:
    """Link names that autodoc spells with their private module (``meetbot_sdk._models.X``
    in signatures), or that docstrings write relative to another class
    (``AnalyticsResource.get``), to where they are documented."""
    if node.get("refdomain") != "py":
        return None
    wanted = _public_name(node["reftarget"])
    objects: dict[str, Any] = env.get_domain("py").objects  # type: ignore[attr-defined]
    found = [
        name
        for name in objects
        if _public_name(name) == wanted or _public_name(name).endswith("." + wanted)
    ]
    if len(found) != 1:
        return None
    entry = objects[found[0]]
    return make_refnode(app.builder, node["refdoc"], entry.docname, entry.node_id, contnode)


GENERATED = Path(__file__).resolve().parent / "_generated"


def _render_notebook_outputs(app: Sphinx) -> None:
    """Render what the Notebooks page shows (the dashboard's HTML, the chart) from the fake,
    at every build, so that the page never shows a stale picture."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot

    from meetbot_sdk import MeetBot
    from meetbot_sdk.testing import FakeMeetBot

    # No request lines in the build log, whichever library the client runs on (httpx2 logs
    # each request at INFO through a handler of its own).
    for library in ("httpx", "httpx2"):
        logging.getLogger(library).setLevel(logging.WARNING)
    GENERATED.mkdir(exist_ok=True)
    fake = FakeMeetBot(log_count=5_000)
    with (
        fake.serve() as base_url,
        MeetBot(fake.api_key, base_url=base_url) as client,
    ):
        analytics = client.analytics.get(period="90d")
    (GENERATED / "analytics.html").write_text(analytics._repr_html_() + "\n")
    ax = analytics.plot()
    ax.set_title("Last 90 days")
    ax.figure.savefig(GENERATED / "analytics.png", dpi=96)
    matplotlib.pyplot.close("all")


def setup(app: Sphinx) -> None:
    app.connect("builder-inited", _render_notebook_outputs)
    app.connect("builder-inited", _share_attribute_docs)
    # Before napoleon (priority 500), which rewrites attribute docstrings.
    app.connect("autodoc-process-docstring", _process_docstring, priority=400)
    app.connect("missing-reference", _resolve_by_public_name)
