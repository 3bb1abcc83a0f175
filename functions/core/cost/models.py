"""The cost report as the manifest, the job record and the API carry it."""
from __future__ import annotations

from pydantic import BaseModel, Field


class CostItem(BaseModel):
    stage: str = Field(description="The pipeline stage, or `pipeline` (orchestration) and `storage` (S3)")
    what: str
    quantity: float
    unit: str
    usd: float


class CostReport(BaseModel):
    total_usd: float = Field(description="The sum of the items")
    usd_per_source_minute: float | None = Field(default=None, description="total_usd per minute of source")
    items: list[CostItem] = Field(default_factory=list)
    prices: str | None = Field(default=None, description="The price table used: region and date")
