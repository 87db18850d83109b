"""Labeling pipelines: extract, prelabel, distribute, quality gate, export.

The stages (:mod:`labelwell.pipeline.stages`) are plain, idempotent functions
over the SDK, so one YAML spec (:mod:`labelwell.pipeline.spec`) runs the same
way under ``labelwell pipeline run`` (:mod:`labelwell.pipeline.runner`), an
Airflow DAG (:mod:`labelwell.integrations.airflow`) or a Prefect flow
(:mod:`labelwell.integrations.prefect`)."""

from labelwell.pipeline.spec import STAGES, PipelineSpec, parse
from labelwell.pipeline.stages import STAGE_FUNCTIONS, QualityGateFailed, StageTimeout, poke

__all__ = [
    "STAGES",
    "STAGE_FUNCTIONS",
    "PipelineSpec",
    "QualityGateFailed",
    "StageTimeout",
    "parse",
    "poke",
]
