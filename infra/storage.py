"""Buckets and tables: where sources, outputs, job records and idempotency records live, and the two grants on
them every function that uses them gets the same way."""
from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_dynamodb as ddb
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from constructs import Construct

from functions.core.repository import RESERVATION_EXPIRES
from functions.core.settings import WORK_ROOT
from infra.config import INCOMPLETE_UPLOAD_DAYS, SOURCE_RETENTION_DAYS, WORK_RETENTION_DAYS
from infra.grants import IDEMPOTENCY, INGEST, JOBS, OUTPUT, grant_s3, grant_tables

# A multipart upload that never completed (a crashed client or stage) holds storage that no listing shows.
ABORT_INCOMPLETE = s3.LifecycleRule(
    id="AbortIncompleteMultipartUploads",
    abort_incomplete_multipart_upload_after=Duration.days(INCOMPLETE_UPLOAD_DAYS),
)


class Storage(Construct):
    """Ingest, output and access-log buckets; the single job table; the idempotency table."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cors_origins: list[str] | None = None,
        source_retention_days: int = SOURCE_RETENTION_DAYS,
    ) -> None:
        super().__init__(scope, construct_id)
        secure = dict(
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.access_logs = s3.Bucket(
            self,
            "AccessLogs",
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(365))],
            **secure,
        )
        # Versioned so a job is pinned to the exact upload it started from, and an overwrite or a delete
        # never destroys footage at once: replaced and deleted versions stay for the retention period.
        self.ingest = s3.Bucket(
            self,
            "Ingest",
            versioned=True,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix="ingest/",
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="ExpireNoncurrentSourceVersions",
                    noncurrent_version_expiration=Duration.days(source_retention_days),
                ),
                # Once its older versions have expired, a deleted key's delete marker is all that is left.
                s3.LifecycleRule(id="RemoveExpiredDeleteMarkers", expired_object_delete_marker=True),
                ABORT_INCOMPLETE,
            ],
            # Browser uploads with presigned URLs (PUT, multipart parts, or POST) from the configured origins
            # only; the client reads each part's ETag to complete a multipart upload.
            cors=[
                s3.CorsRule(
                    allowed_methods=[s3.HttpMethods.PUT, s3.HttpMethods.POST],
                    allowed_origins=cors_origins,
                    allowed_headers=["*"],
                    exposed_headers=["ETag"],
                    max_age=3600,
                )
            ] if cors_origins else None,
            **secure,
        )
        # Set on the L1 bucket instead of `event_bridge_enabled=True`, which adds a
        # custom-resource Lambda only to flip this one switch.
        self.ingest.node.default_child.add_property_override(  # type: ignore[union-attr]
            "NotificationConfiguration.EventBridgeConfiguration.EventBridgeEnabled", True
        )
        self.output = s3.Bucket(
            self,
            "Output",
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix="output/",
            lifecycle_rules=[
                # Finalize deletes a completed job's work files; failed and partial jobs keep theirs this long.
                s3.LifecycleRule(
                    id="ExpireWorkFiles", prefix=f"{WORK_ROOT}/", expiration=Duration.days(WORK_RETENTION_DAYS)
                ),
                ABORT_INCOMPLETE,
            ],
            **secure,
        )

        self.table = ddb.TableV2(
            self,
            "Jobs",
            partition_key=ddb.Attribute(name="pk", type=ddb.AttributeType.STRING),
            sort_key=ddb.Attribute(name="sk", type=ddb.AttributeType.STRING),
            billing=ddb.Billing.on_demand(),
            point_in_time_recovery_specification=ddb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            removal_policy=RemovalPolicy.RETAIN,
            # Upload reservations never used: DynamoDB deletes them some time after they expired (the API reads
            # them as EXPIRED meanwhile; functions.core.repository).
            time_to_live_attribute=RESERVATION_EXPIRES,
            global_secondary_indexes=[
                # Collections ordered by time: ASSETS, JOBS, and TAG#<tag> for scene search.
                ddb.GlobalSecondaryIndexPropsV2(
                    index_name="gsi1",
                    partition_key=ddb.Attribute(name="gsi1pk", type=ddb.AttributeType.STRING),
                    sort_key=ddb.Attribute(name="gsi1sk", type=ddb.AttributeType.STRING),
                ),
                # Jobs by status, newest first: JOBSTATUS#<status>.
                ddb.GlobalSecondaryIndexPropsV2(
                    index_name="gsi2",
                    partition_key=ddb.Attribute(name="gsi2pk", type=ddb.AttributeType.STRING),
                    sort_key=ddb.Attribute(name="gsi2sk", type=ddb.AttributeType.STRING),
                ),
            ],
        )
        self.idempotency = ddb.TableV2(
            self,
            "Idempotency",
            partition_key=ddb.Attribute(name="id", type=ddb.AttributeType.STRING),
            time_to_live_attribute="expiration",
            billing=ddb.Billing.on_demand(),
            point_in_time_recovery_specification=ddb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            removal_policy=RemovalPolicy.DESTROY,
        )

    def grant_s3(self, fn: lambda_.Function, name: str) -> None:
        """The function's rows of the grants table (infra/grants.py), on these buckets."""
        grant_s3(fn, name, {INGEST: self.ingest, OUTPUT: self.output})

    def grant_tables(self, fn: lambda_.Function, name: str) -> None:
        """The function's rows of the table grants (infra/grants.py), on the job and idempotency tables."""
        grant_tables(fn, name, {JOBS: self.table, IDEMPOTENCY: self.idempotency})
