"""One ``meetbot load``: a dlt pipeline run that always goes on to extract.

After a crash, ``pipeline.run(source)`` first normalises and loads the packages the crashed
run left, and returns without extracting the source. :func:`run_to_the_end` finishes those
with a run of their own, then runs the source, so every run brings the new logs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
import dlt
from dlt.common.pipeline import LoadInfo

__all__ = ["LoadReport", "make_pipeline", "run_to_the_end"]

DEFAULT_PIPELINE_NAME = "meetbot_pipeline"


def make_pipeline(
    *, destination: str, dataset: str, pipeline_name: str, pipelines_dir: str | None
) -> dlt.Pipeline:
    """The pipeline ``meetbot load`` runs.

    Raises:
        ValueError: DuckDB with a dataset named like the pipeline, whose file it names:
            DuckDB would then fail every load with "Ambiguous reference to catalog or schema".
    """
    if destination == "duckdb" and dataset == pipeline_name:
        raise ValueError(
            f"the dataset and the pipeline are both named {dataset!r}: DuckDB names the file"
            f" (its catalog) after the pipeline, and would find {dataset!r} ambiguous; choose"
            " another --dataset or --pipeline-name"
        )
    if pipelines_dir is None:  # dlt's own default (~/.dlt/pipelines)
        return dlt.pipeline(pipeline_name, destination=destination, dataset_name=dataset)
    return dlt.pipeline(pipeline_name, pipelines_dir, destination=destination, dataset_name=dataset)


@attrs.frozen
class LoadReport:
    """What a run did: the packages left by an interrupted run it finished, and its rows."""

    finished_pending: int
    row_counts: dict[str, int]
    destination: str


def run_to_the_end(
    pipeline: dlt.Pipeline, source: Any, on_pending: Callable[[], None] | None = None
) -> LoadReport:
    """Finish what an interrupted run left (normalise, load), then run ``source``.

    Raises:
        dlt.pipeline.exceptions.PipelineStepFailed: A step failed; what was extracted stays
            in the pipeline's folder, and the next run loads it first.
    """
    finished = 0
    if pipeline.has_pending_data:
        if on_pending is not None:
            on_pending()
        # None when the packages left had nothing to load once normalised.
        pending: LoadInfo | None = pipeline.run()
        finished = 0 if pending is None else len(pending.loads_ids)
    info: LoadInfo = pipeline.run(source)
    trace = pipeline.last_trace
    normalized = trace.last_normalize_info if trace is not None else None
    counts = dict(normalized.row_counts) if normalized is not None else {}
    rows = {table: count for table, count in counts.items() if not table.startswith("_dlt")}
    return LoadReport(finished, rows, info.destination_displayable_credentials or "")
