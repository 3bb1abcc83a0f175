"""ExecutionEnd: settle a job whose execution ended without Finalize (see functions/core/execution_end.py)."""
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.core.execution_end import ExecutionEndEvent, reason_for
from functions.core.metrics import record_unsettled_failure
from functions.core.models import JobStatus
from functions.core.observability import logger
from functions.core.outcome_events import announce
from functions.core.repository import Repository
from functions.core.settings import Settings


@logger.inject_lambda_context
@event_parser(model=ExecutionEndEvent)
def handler(event: ExecutionEndEvent, context: LambdaContext) -> dict:
    change = event.detail
    job = change.input
    logger.append_keys(job_id=job.job_id, asset_id=job.asset_id)
    reason, code = reason_for(change), change.status.error_code
    settled = Repository(Settings.from_env().table_name, job.tenant).fail_unsettled(
        job.job_id, error=reason, error_code=code)
    if settled:
        announce(job_id=job.job_id, asset_id=job.asset_id, tenant=job.tenant, status=JobStatus.FAILED,
                 manifest_key=None, error=reason)
        record_unsettled_failure(code)
    logger.info("Execution ended without Finalize", extra={"status": change.status.value, "settled": settled})
    return {"job_id": job.job_id, "settled": settled, "error_code": code}
