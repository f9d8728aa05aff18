"""``examples/usage_dashboard.ipynb`` runs in a real Jupyter kernel (nbclient) against the fake,
and shows what it promises: HTML tables, PNG charts, no error."""

from __future__ import annotations

import pathlib
import re
from typing import Any

import pytest

from tests.support import needs_extra

NOTEBOOK = pathlib.Path(__file__).resolve().parents[2] / "examples" / "usage_dashboard.ipynb"


def outputs_of(cell: Any) -> list[dict[str, Any]]:
    return list(cell.get("outputs", []))


@pytest.mark.loopback
def test_the_dashboard_notebook_runs_and_shows_tables_and_charts(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    nbformat = needs_extra("nbformat")
    nbclient = needs_extra("nbclient")
    nbconvert = needs_extra("nbconvert")
    needs_extra("ipykernel")
    needs_extra("ipywidgets")  # as in most Jupyter installs: the progress bar is a widget
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")  # jupyter_core's own future default
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not outputs_of(cell) for cell in notebook.cells)  # committed without outputs
    nbclient.NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()

    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    outputs = [output for cell in code for output in outputs_of(cell)]
    assert [o for o in outputs if o["output_type"] == "error"] == []
    html = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    pngs = [o["data"]["image/png"] for o in outputs if "image/png" in o.get("data", {})]
    assert len(pngs) >= 2  # the analytics chart and the status codes per day
    # The dashboard, the daily frame, the logs, the keys and the paths: tables all.
    assert sum("<table" in markup for markup in html) >= 5
    assert any("<strong>Analytics</strong>" in markup for markup in html)
    logs_table = next(markup for markup in html if ">user_agent</th>" in markup)
    assert ">created_at</th>" in logs_table
    dtypes = "".join("".join(o.get("data", {}).get("text/plain", "")) for o in outputs_of(code[5]))
    assert "datetime64[us, UTC]" in dtypes
    assert "Int64" in dtypes

    # The progress bar's widget, which nbconvert's HTML, GitHub and other viewers without a
    # widget manager cannot draw, ends as its final line in text (it was saved as "0%").
    saved = tmp_path / "saved.ipynb"
    nbformat.write(notebook, saved)
    bars = [
        output["data"]
        for cell in nbformat.read(saved, as_version=4).cells
        for output in outputs_of(cell)
        if "api logs" in output.get("data", {}).get("text/plain", "")
    ]
    assert len(bars) == 1
    assert set(bars[0]) == {"text/plain"}  # no widget left
    final = re.compile(r"api logs: 100%\|[^|<]+\| ([\d,]+)/\1 \[")
    assert final.match(bars[0]["text/plain"])
    page, _ = nbconvert.HTMLExporter().from_notebook_node(nbformat.read(saved, as_version=4))
    assert final.search(page)
