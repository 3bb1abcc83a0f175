"""Price what a job used (metering.ExecutionUse, storage.StorageUse) with one price table into its CostReport."""
from __future__ import annotations

from collections import defaultdict

from functions.core.cost.calls import PAID_CALLS
from functions.core.cost.lambdas import FUNCTION_STAGES, SOURCE_READERS
from functions.core.cost.metering import ExecutionUse
from functions.core.cost.models import CostItem, CostReport
from functions.core.cost.prices import PriceTable
from functions.core.cost.storage import StorageUse, source_reads

# infra/config.WORK_RETENTION_DAYS: how long a FAILED or PARTIAL job's work files are kept (a test keeps it equal).
WORK_FILE_DAYS = 3
DAYS_PER_MONTH = 30
GB = 1024**3
TRANSCRIBE_MINIMUM_SECONDS = 15
USD_DIGITS = 8
USD_SIGNIFICANT = 6


def usd(amount: float) -> float:
    """An item's dollars to USD_SIGNIFICANT significant digits: a fixed number of decimals would round a short
    invocation's ephemeral storage (under $0.000000005) to a free item."""
    return float(f"{amount:.{USD_SIGNIFICANT}g}")


def item(stage: str, what: str, quantity: float, unit: str, price: float) -> CostItem:
    return CostItem(stage=stage, what=what, quantity=round(quantity, 6), unit=unit, usd=usd(quantity * price))


def lambda_items(use: ExecutionUse, prices: PriceTable) -> list[CostItem]:
    """Per function, in stage order: compute (GB-s), requests, and ephemeral storage above the free 512 MB."""
    gb_seconds: dict[str, float] = defaultdict(float)
    storage_gb_seconds: dict[str, float] = defaultdict(float)
    requests: dict[str, int] = defaultdict(int)
    for invocation in use.invocations:
        gb_seconds[invocation.function] += invocation.gb_seconds
        storage_gb_seconds[invocation.function] += invocation.extra_ephemeral_gb_seconds
        requests[invocation.function] += 1
    items = []
    for function in sorted(requests, key=list(FUNCTION_STAGES).index):
        stage = FUNCTION_STAGES[function]
        items.append(item(stage, f"Lambda {function} compute", gb_seconds[function], "GB-s", prices.lambda_gb_second))
        items.append(item(stage, f"Lambda {function} requests", requests[function], "requests", prices.lambda_request))
        if storage_gb_seconds[function]:
            items.append(item(stage, f"Lambda {function} ephemeral storage", storage_gb_seconds[function], "GB-s",
                              prices.lambda_ephemeral_gb_second))
    return items


def service_items(use: ExecutionUse, source_seconds: float, prices: PriceTable) -> list[CostItem]:
    """Paid calls other services bill: Rekognition per image, Transcribe per second of audio (15 s minimum)."""
    items = []
    for name, unit in PAID_CALLS.items():
        calls = [(i.stage, i.paid_calls[name]) for i in use.invocations if i.paid_calls.get(name)]
        if not calls:
            continue
        stage, count = calls[0][0], sum(c for _, c in calls)
        if name == "transcribe.StartTranscriptionJob":
            # One job per span of the source (functions.core.captions.spans): the spans' audio is the source's.
            minutes = max(count * TRANSCRIBE_MINIMUM_SECONDS, source_seconds) / 60
            items.append(item(stage, "Amazon Transcribe audio", minutes, "minutes", prices.transcribe_minute))
        else:
            items.append(item(stage, "Rekognition DetectLabels", count, f"{unit}s", prices.rekognition_image))
    return items


def storage_items(storage: StorageUse, use: ExecutionUse, prices: PriceTable, *, work_kept: bool,
                  later_puts: int = 0) -> list[CostItem]:
    """S3 requests (tier 1: PUT and LIST; tier 2: GET) and a month of the outputs; work files only cost storage
    when they are kept (a job that did not complete keeps them WORK_FILE_DAYS)."""
    gets = len(storage.work) + source_reads((i.function for i in use.invocations), SOURCE_READERS)
    items = [
        item("storage", "S3 PUT and LIST requests", storage.put_requests + storage.listings + later_puts, "requests",
             prices.s3_tier1_request),
        item("storage", "S3 GET requests", gets, "requests", prices.s3_tier2_request),
        item("storage", "S3 Standard, outputs (a month)", storage.output_bytes / GB, "GB-month", prices.s3_gb_month),
    ]
    if work_kept and storage.work_bytes:
        items.append(item("storage", f"S3 Standard, work files ({WORK_FILE_DAYS} days)",
                          storage.work_bytes / GB * WORK_FILE_DAYS / DAYS_PER_MONTH, "GB-month", prices.s3_gb_month))
    return items


def price_job(use: ExecutionUse, storage: StorageUse | None, source_seconds: float, prices: PriceTable, *,
              work_kept: bool = False, later_puts: int = 0) -> CostReport:
    items = [
        *lambda_items(use, prices),
        *service_items(use, source_seconds, prices),
        item("pipeline", "Step Functions state transitions", use.transitions, "transitions", prices.sfn_transition),
        *(storage_items(storage, use, prices, work_kept=work_kept, later_puts=later_puts) if storage else []),
    ]
    items = [i for i in items if i.quantity > 0]
    total = round(sum(i.usd for i in items), USD_DIGITS)
    per_minute = round(total / (source_seconds / 60), USD_DIGITS) if source_seconds > 0 else None
    return CostReport(total_usd=total, usd_per_source_minute=per_minute, items=items, prices=prices.label)
