"""The Studio REST API: API Gateway (REST) in front of one Lambda function running Powertools' resolver.

Packaging: the API function is one more handler in the shared container image (`MediaFunctions.add`),
not a zip. A zip needs its dependencies (pydantic-core is compiled) bundled for Lambda's platform, and
bundling here means Docker or a network pip install at synth time, which `cdk synth` must not need. The
image already pins the exact Powertools/pydantic/boto3 the tests run; the API imports no media
libraries, and Lambda lazy-loads image layers, so the cold start pays for what the handler imports.

Access: every method requires an API key, metered by a usage plan (throttle and quota). With the CDK
context `api_auth=iam` every method also requires SigV4 (IAM) and keeps the key for the usage plan.

Validation at the edge: required query parameters and JSON bodies are checked by API Gateway, with body
models generated from the handler's own pydantic request models (so the two cannot drift apart); the
handler validates again (the source of truth, and what `reelflow serve` runs) and caps bodies at
MAX_BODY_BYTES (413), far below API Gateway's 10 MB. Gateway-made errors use the handler's error shape
`{"error": {"code", "message"}}`.
"""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from functions.api.models import CompleteRequest, JobRequest, PartsRequest, UploadRequest
from infra.functions import FunctionSpec, MediaFunctions
from infra.nag import acknowledge, default_policy
from infra.storage import Storage

MAX_BODY_BYTES = 64 * 1024
STAGE = "v1"
THROTTLE_RATE = 50  # requests per second, per key (usage plan) and for the stage
THROTTLE_BURST = 100
QUOTA_PER_DAY = 100_000
UPLOAD_URL_SECONDS = 15 * 60
DOWNLOAD_URL_SECONDS = 3600


@dataclass(frozen=True)
class Route:
    path: str
    method: str
    body: type | None = None
    required_query: tuple[str, ...] = ()


# The handler's routes (tests/infra/test_api_infra.py checks this against the resolver's own table).
ROUTES = (
    Route("/uploads", "POST", body=UploadRequest),
    Route("/uploads/{asset_id}/parts", "POST", body=PartsRequest),
    Route("/uploads/{asset_id}/complete", "POST", body=CompleteRequest),
    Route("/jobs", "GET"),
    Route("/jobs", "POST", body=JobRequest),
    Route("/jobs/{job_id}", "GET"),
    Route("/jobs/{job_id}/cancel", "POST"),
    Route("/assets", "GET"),
    Route("/assets/{asset_id}", "GET"),
    Route("/assets/{asset_id}", "DELETE"),
    Route("/assets/{asset_id}/scenes", "GET"),
    Route("/scenes", "GET", required_query=("tag",)),
    Route("/openapi.json", "GET"),
    Route("/swagger", "GET"),
)

# Errors API Gateway answers itself, in the handler's shape.
GATEWAY_ERRORS: dict[str, tuple[str, str, str | None]] = {
    # response type: (status, code, fixed message or None for API Gateway's own)
    "BAD_REQUEST_BODY": ("422", "ValidationError", "The request body is not valid"),
    "BAD_REQUEST_PARAMETERS": ("422", "ValidationError", "A required parameter is missing"),
    "REQUEST_TOO_LARGE": ("413", "PayloadTooLarge", "The body is too large"),
    "THROTTLED": ("429", "Throttled", "Too many requests; retry with backoff"),
    "QUOTA_EXCEEDED": ("429", "QuotaExceeded", "The API key's quota is used up"),
    "INVALID_API_KEY": ("403", "Forbidden", "Missing or invalid API key"),
    "ACCESS_DENIED": ("403", "Forbidden", None),
    "UNAUTHORIZED": ("401", "Unauthorized", None),
    "UNSUPPORTED_MEDIA_TYPE": ("415", "UnsupportedMediaType", None),
    "DEFAULT_4XX": ("", "ClientError", None),
    "DEFAULT_5XX": ("", "GatewayError", None),
}


def draft4(schema: dict[str, Any]) -> dict[str, Any]:
    """A pydantic JSON schema (2020-12, `$defs`) as the draft-04 API Gateway models accept, refs inlined."""
    defs = schema.get("$defs", {})
    dropped = {"$defs", "title", "examples", "default", "description"}

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(item) for item in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            return walk(copy.deepcopy(defs[node["$ref"].rsplit("/", 1)[-1]]))
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key in dropped:
                continue
            if key == "properties":  # names, not keywords: a property may well be called "title"
                out[key] = {name: walk(sub) for name, sub in value.items()}
                continue
            if key in ("exclusiveMinimum", "exclusiveMaximum") and not isinstance(value, bool):
                out["minimum" if key == "exclusiveMinimum" else "maximum"] = value
                out[key] = True
            elif key == "const":
                out["enum"] = [value]
            else:
                out[key] = walk(value)
        return out

    return {"$schema": "http://json-schema.org/draft-04/schema#", **walk(schema)}


def gateway_model(model: type) -> dict[str, Any]:
    return draft4(model.model_json_schema(mode="validation"))  # type: ignore[attr-defined]


class StudioApi(Construct):
    """The REST API, its function, usage plan and key, access logs, and the function's permissions."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        functions: MediaFunctions,
        storage: Storage,
        state_machine: sfn.IStateMachine,
        auth: str = "key",
    ) -> None:
        super().__init__(scope, construct_id)
        if auth not in ("key", "iam"):
            raise ValueError(f"api_auth must be 'key' or 'iam', not {auth!r}")
        stack = Stack.of(self)
        self.function = functions.add(
            FunctionSpec(
                # Its S3 grants are its rows in infra/grants.py (uploads under <tenant>/uploads/, outputs under
                # assets/), applied by MediaFunctions with the job table's.
                "Api", "functions.api.handler.handler", memory_mb=512, timeout_s=29,
                description="Studio REST API (Powertools REST resolver behind API Gateway)",
                environment={
                    "INGEST_BUCKET": storage.ingest.bucket_name,
                    "STATE_MACHINE_ARN": state_machine.state_machine_arn,
                    "MAX_BODY_BYTES": str(MAX_BODY_BYTES),
                    "UPLOAD_URL_SECONDS": str(UPLOAD_URL_SECONDS),
                    "DOWNLOAD_URL_SECONDS": str(DOWNLOAD_URL_SECONDS),
                    "POWERTOOLS_SERVICE_NAME": "reelflow-api",
                },
            )
        )
        state_machine.grant_start_execution(self.function)
        state_machine.grant_execution(self.function, "states:DescribeExecution", "states:StopExecution")

        access_logs = logs.LogGroup(self, "AccessLogs", retention=logs.RetentionDays.ONE_MONTH)
        self.api = apigw.RestApi(
            self,
            "RestApi",
            description="Reelflow Studio API",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            api_key_source_type=apigw.ApiKeySourceType.HEADER,
            cloud_watch_role=True,
            deploy_options=apigw.StageOptions(
                stage_name=STAGE,
                tracing_enabled=True,
                metrics_enabled=True,
                logging_level=apigw.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,
                throttling_rate_limit=THROTTLE_RATE,
                throttling_burst_limit=THROTTLE_BURST,
                access_log_destination=apigw.LogGroupLogDestination(access_logs),
                access_log_format=apigw.AccessLogFormat.custom(json.dumps({
                    "requestId": "$context.requestId",
                    "ip": "$context.identity.sourceIp",
                    "apiKeyId": "$context.identity.apiKeyId",
                    "caller": "$context.identity.caller",
                    "method": "$context.httpMethod",
                    "resource": "$context.resourcePath",
                    "status": "$context.status",
                    "latencyMs": "$context.responseLatency",
                    "integrationLatencyMs": "$context.integrationLatency",
                    "responseLength": "$context.responseLength",
                    "error": "$context.error.message",
                    "xrayTraceId": "$context.xrayTraceId",
                })),
            ),
        )
        validator = self.api.add_request_validator(
            "Validator", validate_request_body=True, validate_request_parameters=True
        )
        integration = apigw.LambdaIntegration(
            self.function, proxy=True, scope_permission_to_method=False
        )
        models: dict[type, apigw.IModel] = {}
        for route in ROUTES:
            resource = self.api.root.resource_for_path(route.path)
            request_models = None
            if route.body is not None:
                if route.body not in models:
                    cfn = apigw.CfnModel(
                        self, f"{route.body.__name__}Model", rest_api_id=self.api.rest_api_id,
                        content_type="application/json", name=route.body.__name__,
                        schema=gateway_model(route.body),
                    )
                    models[route.body] = apigw.Model.from_model_name(self, f"{route.body.__name__}Ref", cfn.ref)
                request_models = {"application/json": models[route.body]}
            resource.add_method(
                route.method,
                integration,
                api_key_required=True,
                authorization_type=apigw.AuthorizationType.IAM if auth == "iam" else apigw.AuthorizationType.NONE,
                request_validator=validator,
                request_models=request_models,
                request_parameters={f"method.request.querystring.{q}": True for q in route.required_query} or None,
            )
        self._gateway_responses(auth)

        self.usage_plan = self.api.add_usage_plan(
            "UsagePlan",
            description="Studio clients: per-key throttle and daily quota",
            throttle=apigw.ThrottleSettings(rate_limit=THROTTLE_RATE, burst_limit=THROTTLE_BURST),
            quota=apigw.QuotaSettings(limit=QUOTA_PER_DAY, period=apigw.Period.DAY),
            api_stages=[apigw.UsagePlanPerApiStage(api=self.api, stage=self.api.deployment_stage)],
        )
        self.api_key = self.api.add_api_key("StudioKey", description="Studio client key (value generated)")
        self.usage_plan.add_api_key(self.api_key)
        CfnOutput(self, "ApiKeyId", value=self.api_key.key_id,
                  description="aws apigateway get-api-key --include-value --api-key <id>")
        self._acknowledge(stack, auth, state_machine)

    def _gateway_responses(self, auth: str) -> None:
        errors = dict(GATEWAY_ERRORS)
        if auth == "key":
            # Without IAM, a missing "authentication token" only ever means an unknown route.
            errors["MISSING_AUTHENTICATION_TOKEN"] = ("404", "NotFound", "No such route")
        for kind, (status, code, message) in errors.items():
            text = json.dumps(message) if message else "$context.error.messageString"
            self.api.add_gateway_response(
                kind.title().replace("_", ""),
                type=getattr(apigw.ResponseType, kind.replace("4XX", "4_XX").replace("5XX", "5_XX")),
                status_code=status or None,
                response_headers={"Content-Type": "'application/json'"},
                templates={"application/json": f'{{"error": {{"code": "{code}", "message": {text}}}}}'},
            )

    def _acknowledge(self, stack: Stack, auth: str, state_machine: sfn.IStateMachine) -> None:
        machine = stack.get_logical_id(state_machine.node.default_child)  # type: ignore[arg-type]
        executions = (
            "arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:"
            f'{{"Fn::Select":[6,{{"Fn::Split":[":",{{"Ref":"{machine}"}}]}}]}}:*'
        )
        acknowledge(default_policy(self.function.role), f"AwsSolutions-IAM5[Resource::{executions}]",
                    "Describe and stop the executions of this one state machine (one per job, named by job id).")
        acknowledge(self.api.deployment_stage, "AwsSolutions-APIG3",
                    "Per-key usage-plan throttling and quotas, and stage throttling, bound abuse; a WAF web ACL "
                    "is an account-level choice to attach per deployment.")
        cloud_watch_role = self.api.node.find_child("CloudWatchRole")
        acknowledge(cloud_watch_role,
                    "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                    "AmazonAPIGatewayPushToCloudWatchLogs]",
                    "API Gateway's account-level role for access and execution logs: the AWS-managed minimum.")
        for method in self.api.methods:
            acknowledge(method, "AwsSolutions-COG4",
                        "Studios are machine clients with API keys (or IAM with api_auth=iam); there is no user pool.")
            if auth == "key":
                acknowledge(method, "AwsSolutions-APIG4",
                            "Every method requires an API key bound to a usage plan; deploy with -c api_auth=iam "
                            "to require SigV4 as well.")
