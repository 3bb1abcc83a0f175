"""The one price table: AWS list prices for what a job uses, per region, with the date they were read.

Every cost figure Reelflow reports (the measured report in the manifest, `reelflow estimate`, the budget guard)
is priced from the table `price_table` returns, so a region's prices are swapped in one place. Prices are the
public on-demand list prices (x86 Lambda, Step Functions Standard, S3 Standard, Amazon Transcribe batch
tier 1, Rekognition Image group 1), without free tiers or volume discounts. Checked again on 2026-12-01
against copies of aws.amazon.com/lambda/pricing, AWS's "How AWS Pricing Works" (Lambda: $0.20 per million
requests, $0.0000166667 per GB-s) and aws.amazon.com/step-functions/pricing ($0.025 per 1,000 transitions in
us-east-1): unchanged. Ephemeral storage above the free 512 MB of /tmp is billed per GB-s of the extra size for
the invocation's duration ($0.0000000309, about 1/540 of memory's price; the Lambda pricing page's "Lambda
Ephemeral Storage Pricing").
"""
from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class PriceTable:
    region: str
    # When the figures were read from the pricing pages below, and where.
    as_of: str
    source: str
    lambda_gb_second: float  # x86, first 6 billion GB-s a month
    lambda_request: float
    lambda_ephemeral_gb_second: float  # per GB of /tmp configured above the free 512 MB
    sfn_transition: float  # Standard workflows
    s3_tier1_request: float  # PUT, COPY, POST, LIST
    s3_tier2_request: float  # GET, HEAD and the rest
    s3_gb_month: float  # S3 Standard, first 50 TB
    transcribe_minute: float  # batch, tier 1; billed per second with a 15 s minimum
    rekognition_image: float  # DetectLabels, group 1, first million images a month

    @property
    def label(self) -> str:
        return f"{self.region} list prices as of {self.as_of}"


US_EAST_1 = PriceTable(
    region="us-east-1",
    as_of="2025-06-01",
    source="aws.amazon.com/{lambda,step-functions,s3,transcribe,rekognition}/pricing",
    lambda_gb_second=0.0000166667,
    lambda_request=0.20 / 1_000_000,
    lambda_ephemeral_gb_second=0.0000000309,
    sfn_transition=0.025 / 1_000,
    s3_tier1_request=0.005 / 1_000,
    s3_tier2_request=0.0004 / 1_000,
    s3_gb_month=0.023,
    transcribe_minute=0.024,
    rekognition_image=0.001,
)

PRICE_TABLES: dict[str, PriceTable] = {US_EAST_1.region: US_EAST_1}


def price_table(region: str | None = None) -> PriceTable:
    """The table for `region`, by default the function's own (AWS_REGION). A region without a table is priced
    from us-east-1's (the label of the table used is recorded with every report): add its table to PRICE_TABLES."""
    region = region or os.environ.get("AWS_REGION") or US_EAST_1.region
    return PRICE_TABLES.get(region, US_EAST_1)
