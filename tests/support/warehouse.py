"""dlt pipelines into a DuckDB file in a temporary folder, and what their tables hold."""

from __future__ import annotations

import pathlib
from typing import Any

from tests.support import needs_extra

PIPELINE = "meetbot_pipeline"
DATASET = "meetbot"


def pipeline(folder: pathlib.Path, name: str = PIPELINE, **options: Any) -> Any:
    """A pipeline into ``folder/<name>.duckdb``, its working files in ``folder/pipelines``."""
    dlt = needs_extra("dlt")
    return dlt.pipeline(
        name,
        str(folder / "pipelines"),
        destination=dlt.destinations.duckdb(str(folder / f"{name}.duckdb")),
        dataset_name=DATASET,
        **options,
    )


def query(folder: pathlib.Path, sql: str, name: str = PIPELINE) -> list[tuple[Any, ...]]:
    """The rows of ``sql`` over the DuckDB file (read-only, closed after)."""
    duckdb = needs_extra("duckdb")
    with duckdb.connect(str(folder / f"{name}.duckdb"), read_only=True) as connection:
        rows: list[tuple[Any, ...]] = connection.execute(sql).fetchall()
    return rows


def log_ids(folder: pathlib.Path, name: str = PIPELINE) -> list[int]:
    return [row[0] for row in query(folder, "select id from meetbot.api_logs order by id", name)]


def files_holding(folder: pathlib.Path, text: str) -> list[pathlib.Path]:
    """Every file under ``folder`` whose bytes contain ``text``."""
    needle = text.encode()
    return [p for p in folder.rglob("*") if p.is_file() and needle in p.read_bytes()]
