"""The stack, running on moto on this machine.

`LocalCloud` starts moto as a server on loopback, creates the stack's resources from the
synthesized template, and makes moto's Lambda run the real handlers: each invoke (from Step
Functions, from the SQS poller, or from `reelflow invoke`) runs the handler the template names,
in its own process, with that function's template environment.

Everything else is moto's own behaviour (S3 -> EventBridge -> SQS delivery, the Step Functions
interpreter, DynamoDB, Transcribe). The bridges, where this runtime plays a part AWS plays and moto
does not, are these:
- CloudFormation: each resource the template declares is created here, in dependency order, with
  its intrinsics resolved by `intrinsics.Intrinsics` (Ref, Fn::GetAtt, Fn::Join, Fn::Sub,
  Fn::Select, Fn::Split); physical names are stable and readable (`_name`: `reelflow-storageingest`)
  where CloudFormation would generate them, so the sample events in events/ can name them.
- Lambda's execution: `_route_lambda_invokes_to` replaces moto's Docker step, so every invoke runs
  the function's handler (its image CMD) in a process forked from a warm parent (zygote.py), which
  calls it with a Lambda context object and reports a result or Lambda's error shape (invoke.py).
- Lambda's environment: moto does not pass a function's variables to its code, so
  `handler_environment` gives each process the template's variables plus what the Lambda runtime
  sets (function name, memory, timeout, the function's ARN as REELFLOW_FUNCTION_ARN), the endpoint
  of moto and its test credentials, and no other host variable than PASSTHROUGH_ENV; X-Ray and
  metrics publishing are switched off (no daemon, no CloudWatch).
- Lambda's timeout: each invocation is killed (with what it started) at its function's template timeout
  and reported as Lambda reports it, `Sandbox.Timedout` "Task timed out after N seconds".
- Lambda's capacity: in AWS every invocation has CPUs of its own; here they share this machine's. So at most
  `concurrency` handlers run at once (REELFLOW_LOCAL_CONCURRENCY, default: the machine's cores) and the rest wait
  their turn, the wait not counted against their timeout. Without the cap an hour's chunk Maps started 60
  handlers on two cores, each ran 50 times slower than alone, and CaptionParts of 17 s of CPU hit their 900 s
  timeout. The Api function behind `reelflow serve --cold` is not held back (API Gateway answers beside jobs).
- Faults, for tests and for trying failure handling by hand (`Faults`; `REELFLOW_LOCAL_FAULTS` as JSON, e.g.
  `{"timeouts": {"Trailer": 2}, "kills": {"ScenePart": 1.5}, "throttle": 0.1}`): a shorter timeout for a
  function; its next invocation's process killed after some seconds (Lambda reports `Runtime.ExitError`, as for
  a crash or running out of memory); a fraction of the handlers' S3 and DynamoDB calls answered as throttled
  (`throttle.py`).
- Lambda's SQS poller: moto would deliver synchronously inside SendMessage and ignore partial
  batch responses, so `_poll_queues` receives, invokes and deletes like the Lambda service.
- Step Functions' Lambda integration: moto's interpreter invokes Lambda through the server on
  MOTO_PORT, which `start` points at this cloud's moto for the cloud's lifetime.
- Step Functions' "Execution Status Change" events, which moto does not emit, and EventBridge rules that
  target a function, which moto does not run: `_announce_ended_executions` builds the event for each
  execution that ends, once, and invokes the function of every rule whose pattern matches (moto's own
  pattern matcher).
- CloudWatch alarms and dashboards are not created (SKIPPED_TYPES): metrics publishing is off locally.
- API Gateway is not created (SKIPPED_TYPES): `reelflow serve` (serve.py) plays the gateway in
  front of the Api function.
- CloudFront: the distribution gets a loopback address (`playback_url`, which the Api function learns
  as PLAYBACK_URL, since it is plain HTTP) where `reelflow serve` runs its stand-in
  (reelflow.local.playback.PlaybackServer), trusting the key group's public keys from the template; the
  signing-key secret is created in moto and given this checkout's local private key, as an operator does.
- S3 form uploads: moto stores any form POST; `post_policy` makes it check each presigned POST's signed policy
  (size range, key, content type, expiry) as S3 does, from the document the API signed.
- Resource and IAM policies are not created: moto does not enforce them. Roles are, because
  moto's Lambda checks that a function's role exists. Each function's S3 and DynamoDB statements are
  enforced in its handler process instead (`reelflow.local.s3_policy`), so a missing grant fails here.
"""
from __future__ import annotations

import json
import logging
import os
import re
import socket
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import boto3

from reelflow.local import post_policy, s3_policy, throttle
from reelflow.local.intrinsics import Intrinsics, dependencies, pseudo_parameters
from reelflow.local.zygote import InvocationTimedOut, Zygote

ACCOUNT = "123456789012"
REGION = "us-east-1"
STACK = "Reelflow"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": REGION}
# The host environment a Lambda process may see; everything else comes from the template.
PASSTHROUGH_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT", "VIRTUAL_ENV", "PYTHONPATH")
SKIPPED_TYPES = {
    "AWS::S3::BucketPolicy",
    "AWS::SQS::QueuePolicy",
    "AWS::IAM::Policy",
    "AWS::Logs::LogGroup",
    "AWS::Lambda::Permission",
    # Alarms and the dashboard: nothing publishes metrics here (handler_environment turns them off).
    "AWS::CloudWatch::Alarm",
    "AWS::CloudWatch::Dashboard",
    # API Gateway: `reelflow serve` (reelflow/local/serve.py) plays the gateway in front of the Api function.
    *(f"AWS::ApiGateway::{kind}" for kind in (
        "Account", "ApiKey", "Deployment", "GatewayResponse", "Method", "Model", "RequestValidator", "Resource",
        "RestApi", "Stage", "UsagePlan", "UsagePlanKey",
    )),
}

InvokeListener = Callable[["Invocation"], None]


@dataclass
class FunctionRuntime:
    logical_id: str
    name: str
    handler: str
    environment: dict[str, str]
    memory_mb: int
    timeout_s: int

    @property
    def names(self) -> tuple[str, ...]:
        """What a caller may name it by: physical name, logical id, construct name (Probe, Ingest, ...)."""
        return self.name, self.logical_id, construct_name(self.logical_id).removeprefix("Functions")


@dataclass
class Faults:
    """Failures this runtime injects as AWS would cause them (see the module docstring). By function name."""

    timeouts: dict[str, float] = field(default_factory=dict)  # seconds, instead of the template's Timeout
    kills: dict[str, float] = field(default_factory=dict)  # kill the next invocation's process after seconds
    throttle: float = 0.0  # fraction of every handler's S3 and DynamoDB calls answered as throttled

    ENV: ClassVar[str] = "REELFLOW_LOCAL_FAULTS"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Faults:
        raw = environ.get(cls.ENV)
        return cls(**json.loads(raw)) if raw else cls()

    def take_kill(self, fn: FunctionRuntime) -> float | None:
        """The kill planned for this invocation of `fn`, used up (the retry runs normally)."""
        for name in fn.names:
            if name in self.kills:
                return self.kills.pop(name)
        return None

    def timeout(self, fn: FunctionRuntime) -> float:
        for name in fn.names:
            if name in self.timeouts:
                return self.timeouts[name]
        return float(fn.timeout_s)


@dataclass
class Invocation:
    """One handler run, reported to listeners when it starts and when it ends."""

    function: FunctionRuntime
    event: Any
    started: float = field(default_factory=time.monotonic)
    seconds: float | None = None
    ok: bool | None = None
    error: dict | None = None
    log_file: Path | None = None
    peak_rss_mb: float | None = None  # the handler process's, or a process it started (ffmpeg), at its largest
    cpu_seconds: float | None = None  # the handler's and the processes it started: a load-independent measure


@dataclass
class QueueTrigger:
    queue_url: str
    queue_arn: str
    function_name: str
    batch_size: int
    partial_batch: bool


CONCURRENCY_ENV = "REELFLOW_LOCAL_CONCURRENCY"


def local_concurrency(environ: Mapping[str, str] = os.environ) -> int:
    """How many handlers run at once: REELFLOW_LOCAL_CONCURRENCY, or the machine's cores (at least 2)."""
    raw = environ.get(CONCURRENCY_ENV)
    if raw:
        return max(1, int(raw))
    return max(2, os.cpu_count() or 2)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LocalCloud:
    def __init__(self, template: dict, workdir: Path, port: int | None = None, faults: Faults | None = None,
                 concurrency: int | None = None) -> None:
        self.template = template
        self.faults = faults if faults is not None else Faults.from_env()
        self.concurrency = concurrency or local_concurrency()
        self._slots = threading.BoundedSemaphore(self.concurrency)
        self.workdir = workdir
        self.port = port or free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.physical: dict[str, str] = {}
        self.attributes: dict[str, dict[str, str]] = {}
        self.intrinsics = Intrinsics(self.physical, self.attributes, pseudo_parameters(ACCOUNT, REGION, STACK))
        self.functions: dict[str, FunctionRuntime] = {}
        self.triggers: list[QueueTrigger] = []
        self.function_rules: list[tuple[Any, str]] = []  # (moto EventPattern, function name) per Lambda target
        self._announced: set[str] = set()
        self.listeners: list[InvokeListener] = []
        self._server = None
        self._stop = threading.Event()
        self._poller: threading.Thread | None = None
        self._saved_env: dict[str, str | None] = {}
        self._zygote: Zygote | None = None
        self.playback_url: str | None = None

    # ---- lifecycle -------------------------------------------------------
    def start(self) -> LocalCloud:
        from moto.core.config import default_user_config
        from moto.moto_server.threaded_moto_server import ThreadedMotoServer

        default_user_config["stepfunctions"]["execute_state_machine"] = True
        # Keep moto's full Lambda backend ("use_docker" on): its Docker-free variant only echoes
        # payloads. The Docker step itself is replaced by _route_lambda_invokes_to.
        default_user_config["lambda"]["use_docker"] = True
        # moto's Step Functions interpreter calls Lambda through MOTO_PORT; this process's own
        # clients (and presigned URLs) go to the endpoint. Restored by stop().
        overrides = CREDENTIALS | {"MOTO_PORT": str(self.port), "AWS_ENDPOINT_URL": self.endpoint}
        self._saved_env = {k: os.environ.get(k) for k in overrides}
        os.environ.update(overrides)
        _route_lambda_invokes_to(self)
        post_policy.enforce_on_moto({CREDENTIALS["AWS_ACCESS_KEY_ID"]: CREDENTIALS["AWS_SECRET_ACCESS_KEY"]})
        self._zygote = Zygote()
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._server.start()
        # moto's state is process-wide: start every cloud from empty.
        urllib.request.urlopen(urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST")).close()
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._create_resources()
        self._install_playback_key()
        self._poller = threading.Thread(target=self._poll_queues, name="sqs-poller", daemon=True)
        self._poller.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._poller:
            self._poller.join(timeout=5)
        if self._server:
            self._server.stop()
        if self._zygote:
            self._zygote.stop()
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

    def __enter__(self) -> LocalCloud:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def client(self, service: str):
        return boto3.client(service, endpoint_url=self.endpoint, region_name=REGION)

    # ---- what the stack created -----------------------------------------
    def resource(self, logical_prefix: str, cfn_type: str) -> str:
        """Physical id of the one resource of `cfn_type` whose logical id starts with the prefix."""
        matches = [
            lid for lid, res in self.template["Resources"].items()
            if res["Type"] == cfn_type and lid.startswith(logical_prefix)
        ]
        if len(matches) != 1:
            raise KeyError(f"{logical_prefix} ({cfn_type}): {matches}")
        return self.physical[matches[0]]

    @property
    def ingest_bucket(self) -> str:
        return self.resource("StorageIngest", "AWS::S3::Bucket")

    @property
    def output_bucket(self) -> str:
        return self.resource("StorageOutput", "AWS::S3::Bucket")

    @property
    def table_name(self) -> str:
        return self.resource("StorageJobs", "AWS::DynamoDB::GlobalTable")

    @property
    def state_machine_arn(self) -> str:
        return self.resource("PipelineStateMachine", "AWS::StepFunctions::StateMachine")

    def function(self, name: str) -> FunctionRuntime:
        """A function by its construct name (Probe, Ingest, ...) or physical name."""
        for fn in self.functions.values():
            if name in fn.names:
                return fn
        known = ", ".join(sorted(self.function_names()))
        raise KeyError(f"No function named {name!r}. Functions: {known}")

    def function_names(self) -> list[str]:
        return [fn.names[-1] for fn in self.functions.values()]

    # ---- running handlers -------------------------------------------------
    def handler_environment(self, fn: FunctionRuntime) -> dict[str, str]:
        """The environment a process running `fn`'s handler gets: its template variables, no host leakage."""
        env = {k: os.environ[k] for k in PASSTHROUGH_ENV if k in os.environ}
        return env | CREDENTIALS | fn.environment | {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_LAMBDA_FUNCTION_NAME": fn.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(fn.memory_mb),
            "AWS_LAMBDA_FUNCTION_TIMEOUT": str(fn.timeout_s),
            "REELFLOW_FUNCTION_ARN": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{fn.name}",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_METRICS_DISABLED": "true",
            s3_policy.ENV: json.dumps(self._enforced_statements(fn.logical_id)),
        } | ({throttle.ENV: str(self.faults.throttle)} if self.faults.throttle else {}) \
          | ({"PLAYBACK_URL": self.playback_url} if self.playback_url else {})

    def _enforced_statements(self, function_lid: str) -> list[dict]:
        """The S3 and DynamoDB statements of the function's role, with the local bucket and table names
        (reelflow.local.s3_policy)."""
        resources = self.template["Resources"]
        role = resources[function_lid]["Properties"]["Role"]["Fn::GetAtt"][0]
        statements = [
            statement
            for policy in resources.values()
            if policy["Type"] == "AWS::IAM::Policy" and {"Ref": role} in policy["Properties"]["Roles"]
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]
            if all(str(action).startswith(("s3:", "dynamodb:")) for action in s3_policy.as_list(statement["Action"]))
        ]
        return self.intrinsics.resolve(statements)

    def run_handler(self, fn: FunctionRuntime, event: Any, *, queued: bool = True) -> tuple[Any, bool]:
        """Run `fn`'s handler on `event` in a fresh process; returns (payload, errored). When `queued`, it waits
        for one of the `concurrency` slots first (see the module docstring)."""
        if not queued:
            return self._run_handler(fn, event)
        with self._slots:
            return self._run_handler(fn, event)

    def _run_handler(self, fn: FunctionRuntime, event: Any) -> tuple[Any, bool]:
        invocation = Invocation(function=fn, event=event)
        self._notify(invocation)
        logs = self.workdir / "logs"
        logs.mkdir(exist_ok=True)
        invocation.log_file = logs / f"{fn.logical_id}-{uuid.uuid4().hex[:8]}.log"
        calls = self.workdir / "calls"
        calls.mkdir(exist_ok=True)
        event_path = calls / f"{invocation.log_file.stem}.event.json"
        result_path = calls / f"{invocation.log_file.stem}.result.json"
        event_path.write_text(json.dumps(event))
        env = self.handler_environment(fn)
        assert self._zygote is not None, "LocalCloud.start() first"
        timeout, kill = self.faults.timeout(fn), self.faults.take_kill(fn)
        outcome: dict = {}
        usage = None  # unknown for a killed invocation
        try:
            usage = self._zygote.run(fn.handler, env, event_path, result_path, invocation.log_file,
                                          timeout=min(timeout, kill) if kill is not None else timeout)
        except InvocationTimedOut:
            if kill is None or timeout <= kill:
                outcome = {"ok": False, "error": {"errorType": "Sandbox.Timedout",
                                                   "errorMessage": f"Task timed out after {timeout:.2f} seconds"}}
        try:
            if not outcome and result_path.exists():
                outcome = json.loads(result_path.read_text())
        finally:
            event_path.unlink(missing_ok=True)
            result_path.unlink(missing_ok=True)
        if not outcome:
            outcome = {"ok": False, "error": {"errorType": "Runtime.ExitError",
                                               "errorMessage": f"The handler process died; see {invocation.log_file}"}}
        invocation.seconds = time.monotonic() - invocation.started
        invocation.peak_rss_mb = round(usage.maxrss_kb / 1024, 1) if usage and usage.maxrss_kb else None
        invocation.cpu_seconds = usage.cpu_seconds if usage else None
        invocation.ok = outcome["ok"]
        invocation.error = outcome.get("error")
        self._notify(invocation)
        return (outcome["result"], False) if outcome["ok"] else (outcome["error"], True)

    def invoke(self, name: str, event: Any) -> tuple[Any, bool]:
        """Invoke through moto's Lambda API, the same door Step Functions uses."""
        fn = self.function(name)
        response = self.client("lambda").invoke(FunctionName=fn.name, Payload=json.dumps(event).encode())
        return json.loads(response["Payload"].read() or "null"), "FunctionError" in response

    def _notify(self, invocation: Invocation) -> None:
        for listener in self.listeners:
            listener(invocation)

    # ---- the SQS -> Lambda bridge -----------------------------------------
    def _poll_queues(self) -> None:
        """The pollers' loop. An error in one round is logged and the next round goes on: in AWS the service's
        pollers never stop, and a dead thread here would leave every later upload without a job."""
        sqs, sfn = self.client("sqs"), self.client("stepfunctions")
        next_watch = 0.0
        while not self._stop.is_set():
            idle = True
            try:
                if self.function_rules and time.monotonic() >= next_watch:
                    next_watch = time.monotonic() + 1.0
                    self._announce_ended_executions(sfn)
                for trigger in self.triggers:
                    received = sqs.receive_message(
                        QueueUrl=trigger.queue_url,
                        MaxNumberOfMessages=min(trigger.batch_size, 10),
                        AttributeNames=["All"],
                        WaitTimeSeconds=0,
                    ).get("Messages", [])
                    if received:
                        idle = False
                        self._deliver(sqs, trigger, received)
            except Exception:  # noqa: BLE001 - see the docstring
                if self._stop.is_set():
                    return
                logging.getLogger(__name__).exception("local poller round failed; retrying")
                self._stop.wait(1.0)
            if idle:
                self._stop.wait(0.2)

    def _deliver(self, sqs, trigger: QueueTrigger, messages: list[dict]) -> None:
        event = {"Records": [sqs_record(m, trigger.queue_arn) for m in messages]}
        payload, errored = self.invoke(trigger.function_name, event)
        failed: set[str] = set()
        if errored:
            failed = {m["MessageId"] for m in messages}
        elif trigger.partial_batch and isinstance(payload, dict):
            failed = {f["itemIdentifier"] for f in payload.get("batchItemFailures", [])}
        for message in messages:
            if message["MessageId"] not in failed:
                sqs.delete_message(QueueUrl=trigger.queue_url, ReceiptHandle=message["ReceiptHandle"])

    # ---- the Step Functions -> EventBridge -> Lambda bridge ------------------
    def _announce_ended_executions(self, sfn) -> None:
        """One "Step Functions Execution Status Change" event per execution that ended, with the fields Step
        Functions sends, to every function rule that matches it."""
        for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=self.state_machine_arn):
            for summary in page["executions"]:
                arn = summary["executionArn"]
                if summary["status"] == "RUNNING" or arn in self._announced:
                    continue
                execution = sfn.describe_execution(executionArn=arn)
                event = {
                    "version": "0", "id": str(uuid.uuid4()), "detail-type": "Step Functions Execution Status Change",
                    "source": "aws.states", "account": ACCOUNT, "region": REGION, "resources": [arn],
                    "time": execution.get("stopDate", execution["startDate"]).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "detail": {
                        "executionArn": arn, "stateMachineArn": execution["stateMachineArn"],
                        "name": execution["name"], "status": execution["status"],
                        "input": execution.get("input"), "output": execution.get("output"),
                        "error": execution.get("error"), "cause": execution.get("cause"),
                    },
                }
                for pattern, function_name in self.function_rules:
                    if pattern.matches_event(event):
                        self.invoke(function_name, event)
                self._announced.add(arn)  # after delivery: a failed round delivers again, as EventBridge retries

    # ---- creating resources from the template -----------------------------
    def _create_resources(self) -> None:
        resources = self.template["Resources"]
        for lid in _skipped(resources):
            self.physical[lid] = lid
            self.attributes[lid] = {"Arn": f"arn:aws:iam::{ACCOUNT}:policy/{lid}"}
        pending = [lid for lid, res in resources.items() if res["Type"] not in SKIPPED_TYPES]
        while pending:
            ready = [lid for lid in pending if dependencies(resources[lid]) <= set(self.physical)]
            if not ready:
                raise RuntimeError(f"Unresolvable template dependencies: {pending}")
            for lid in ready:
                self._create(lid, resources[lid])
                pending.remove(lid)

    def _create(self, lid: str, resource: dict) -> None:
        props = self.intrinsics.resolve(resource.get("Properties", {}))
        kind = resource["Type"]
        creator = getattr(self, "_create_" + kind.split("::", 1)[1].replace("::", "_"), None)
        if creator is None:
            raise RuntimeError(f"The local runtime cannot create {kind} ({lid}); add a creator in {__name__}")
        creator(lid, props)

    def _name(self, lid: str) -> str:
        """Stable, readable names (moto starts empty each run): `reelflow-storageingest` for
        StorageIngestF6E638AD, so sample events in events/ can name them."""
        return f"{STACK.lower()}-{construct_name(lid).lower()}"

    def _create_IAM_Role(self, lid: str, props: dict) -> None:
        name = self._name(lid)[:64]
        role = self.client("iam").create_role(
            RoleName=name, AssumeRolePolicyDocument=json.dumps(props["AssumeRolePolicyDocument"])
        )["Role"]
        self.physical[lid] = name
        self.attributes[lid] = {"Arn": role["Arn"]}

    def _create_S3_Bucket(self, lid: str, props: dict) -> None:
        name = self._name(lid)
        s3 = self.client("s3")
        s3.create_bucket(Bucket=name)
        if props.get("VersioningConfiguration", {}).get("Status") == "Enabled":
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        if props.get("NotificationConfiguration", {}).get("EventBridgeConfiguration", {}).get("EventBridgeEnabled"):
            s3.put_bucket_notification_configuration(
                Bucket=name, NotificationConfiguration={"EventBridgeConfiguration": {}}
            )
        if "CorsConfiguration" in props:
            rules = [
                {k: v for k, v in rule.items() if k in ("AllowedMethods", "AllowedOrigins", "AllowedHeaders", "MaxAge")}
                for rule in props["CorsConfiguration"]["CorsRules"]
            ]
            s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": rules})
        self.physical[lid] = name
        self.attributes[lid] = {"Arn": f"arn:aws:s3:::{name}", "DomainName": f"{name}.s3.amazonaws.com",
                                "RegionalDomainName": f"{name}.s3.{REGION}.amazonaws.com"}

    def _create_DynamoDB_GlobalTable(self, lid: str, props: dict) -> None:
        name = self._name(lid)
        args: dict[str, Any] = {
            "TableName": name,
            "KeySchema": props["KeySchema"],
            "AttributeDefinitions": props["AttributeDefinitions"],
            "BillingMode": "PAY_PER_REQUEST",
        }
        if props.get("GlobalSecondaryIndexes"):
            args["GlobalSecondaryIndexes"] = [
                {k: gsi[k] for k in ("IndexName", "KeySchema", "Projection")} for gsi in props["GlobalSecondaryIndexes"]
            ]
        dynamodb = self.client("dynamodb")
        table = dynamodb.create_table(**args)["TableDescription"]
        ttl = props.get("TimeToLiveSpecification") or {}
        if ttl.get("Enabled"):  # moto records it but never deletes expired items: code must not rely on deletion
            dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification={
                "Enabled": True, "AttributeName": ttl["AttributeName"]})
        self.physical[lid] = name
        self.attributes[lid] = {"Arn": table["TableArn"]}

    def _create_SQS_Queue(self, lid: str, props: dict) -> None:
        name = self._name(lid)
        attributes = {}
        if "RedrivePolicy" in props:
            attributes["RedrivePolicy"] = json.dumps(props["RedrivePolicy"])
        if "VisibilityTimeout" in props:
            attributes["VisibilityTimeout"] = str(props["VisibilityTimeout"])
        sqs = self.client("sqs")
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self.physical[lid] = url
        self.attributes[lid] = {"Arn": arn, "QueueName": name, "QueueUrl": url}

    def _create_Events_Rule(self, lid: str, props: dict) -> None:
        name = self._name(lid)
        events = self.client("events")
        events.put_rule(Name=name, EventPattern=json.dumps(props["EventPattern"]), State=props.get("State", "ENABLED"))
        events.put_targets(Rule=name, Targets=[{"Id": t["Id"], "Arn": t["Arn"]} for t in props["Targets"]])
        from moto.events.models import EventPattern

        for target in props["Targets"]:
            if ":lambda:" in target["Arn"]:
                self.function_rules.append(
                    (EventPattern.load(json.dumps(props["EventPattern"])), target["Arn"].rsplit(":", 1)[-1]))
        self.physical[lid] = name
        self.attributes[lid] = {"Arn": f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{name}"}

    def _create_Lambda_Function(self, lid: str, props: dict) -> None:
        name = self._name(lid)[:64]
        command = props.get("ImageConfig", {}).get("Command") or [props.get("Handler")]
        env = {k: str(v) for k, v in props.get("Environment", {}).get("Variables", {}).items()}
        self.client("lambda").create_function(
            FunctionName=name,
            Role=props["Role"],
            PackageType="Image",
            Code={"ImageUri": props["Code"].get("ImageUri", "local")},
            Environment={"Variables": env},
            MemorySize=props.get("MemorySize", 128),
            Timeout=props.get("Timeout", 3),
        )
        self.functions[name] = FunctionRuntime(
            logical_id=lid, name=name, handler=command[0], environment=env,
            memory_mb=props.get("MemorySize", 128), timeout_s=props.get("Timeout", 3),
        )
        self.physical[lid] = name
        self.attributes[lid] = {"Arn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"}

    def _create_Lambda_EventSourceMapping(self, lid: str, props: dict) -> None:
        queue_lid = next(q for q, attrs in self.attributes.items() if attrs.get("Arn") == props["EventSourceArn"])
        self.triggers.append(
            QueueTrigger(
                queue_url=self.physical[queue_lid],
                queue_arn=props["EventSourceArn"],
                function_name=props["FunctionName"],
                batch_size=props.get("BatchSize", 10),
                partial_batch="ReportBatchItemFailures" in props.get("FunctionResponseTypes", []),
            )
        )
        self.physical[lid] = lid

    def _create_StepFunctions_StateMachine(self, lid: str, props: dict) -> None:
        arn = self.client("stepfunctions").create_state_machine(
            name=self._name(lid)[:80],
            definition=props["DefinitionString"],
            roleArn=props["RoleArn"],
        )["stateMachineArn"]
        self.physical[lid] = arn
        self.attributes[lid] = {"Arn": arn, "Name": arn.rsplit(":", 1)[-1]}


    # ---- CloudFront: bridged (see the module docstring) ----------------------
    def _create_CloudFront_PublicKey(self, lid: str, props: dict) -> None:
        self.physical[lid] = "K" + uuid.uuid5(uuid.NAMESPACE_URL, props["PublicKeyConfig"]["EncodedKey"]).hex[:13].upper()
        self.attributes[lid] = {}

    def _create_CloudFront_KeyGroup(self, lid: str, props: dict) -> None:
        self.physical[lid] = str(uuid.uuid4())
        self.attributes[lid] = {}

    def _create_CloudFront_OriginAccessControl(self, lid: str, props: dict) -> None:
        self.physical[lid] = lid
        self.attributes[lid] = {"Id": lid}

    def _create_CloudFront_Function(self, lid: str, props: dict) -> None:
        self.physical[lid] = lid
        self.attributes[lid] = {"FunctionARN": f"arn:aws:cloudfront::{ACCOUNT}:function/{lid}"}

    def _create_CloudFront_Distribution(self, lid: str, props: dict) -> None:
        domain = f"127.0.0.1:{free_port()}"
        self.playback_url = f"http://{domain}"
        self.physical[lid] = lid
        self.attributes[lid] = {"DomainName": domain, "Id": lid}

    def playback_public_keys(self) -> dict[str, str]:
        """{key pair id: public key PEM} of every key the distribution's key groups trust."""
        resources = self.template["Resources"]
        trusted = {ref["Ref"] for res in resources.values() if res["Type"] == "AWS::CloudFront::Distribution"
                   for ref in res["Properties"]["DistributionConfig"]["DefaultCacheBehavior"].get("TrustedKeyGroups", [])}
        return {self.physical[item["Ref"]]: resources[item["Ref"]]["Properties"]["PublicKeyConfig"]["EncodedKey"]
                for group in trusted for item in resources[group]["Properties"]["KeyGroupConfig"]["Items"]}

    def _create_SecretsManager_Secret(self, lid: str, props: dict) -> None:
        import secrets

        created = self.client("secretsmanager").create_secret(
            Name=self._name(lid), Description=props.get("Description", ""),
            SecretString=props.get("SecretString") or secrets.token_urlsafe(32))
        self.physical[lid] = created["ARN"]
        self.attributes[lid] = {"Id": created["ARN"]}

    def _install_playback_key(self) -> None:
        """The operator's step: the playback signing-key secret gets the private key whose public half the key
        group holds (this checkout's local key, if the template was synthesized with it)."""
        from reelflow.local.playback import local_key_pair
        from reelflow.local.template import CACHE_DIR

        if self.playback_url is None:
            return
        private, public = local_key_pair(CACHE_DIR)
        if public.strip() not in {pem.strip() for pem in self.playback_public_keys().values()}:
            return  # a template made with another key: the API cannot sign, and says so
        secret = next(lid for lid, res in self.template["Resources"].items()
                      if res["Type"] == "AWS::SecretsManager::Secret" and lid.startswith("PlaybackSigningKey"))
        self.client("secretsmanager").put_secret_value(SecretId=self.physical[secret], SecretString=private.decode())


def construct_name(logical_id: str) -> str:
    """The logical id without CDK's 8-hex-digit hash suffix."""
    return re.sub(r"[0-9A-F]{8}$", "", logical_id)


def sqs_record(message: dict, queue_arn: str) -> dict:
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": message.get("MessageAttributes", {}),
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": REGION,
    }


def _skipped(resources: dict) -> set[str]:
    return {lid for lid, res in resources.items() if res["Type"] in SKIPPED_TYPES}


def _route_lambda_invokes_to(cloud: LocalCloud) -> None:
    """Replace moto's Lambda execution (Docker, or a canned reply) with the cloud's handler runner."""
    from moto.awslambda.models import LambdaFunction

    def _invoke_lambda(self: LambdaFunction, event: Any = None) -> tuple[str, bool, str]:
        fn = cloud.functions.get(self.function_name)
        if fn is None:
            return json.dumps({"errorMessage": f"{self.function_name} is not part of the stack"}), True, ""
        payload = json.loads(event) if isinstance(event, str | bytes) else event
        result, errored = cloud.run_handler(fn, payload)
        return json.dumps(result), errored, ""

    LambdaFunction._invoke_lambda = _invoke_lambda
