"""The Studio API in the synthesized template: gateway, key and usage plan, auth on every method, limits."""
from __future__ import annotations

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk.assertions import Match, Template
from constructs import Construct

from functions.api.models import CompleteRequest, JobRequest, PartsRequest, UploadRequest
from infra.api import MAX_BODY_BYTES, ROUTES, StudioApi, gateway_model
from infra.storage import Storage


@pytest.fixture(scope="module")
def stack(template) -> Template:
    """The session's one synthesized template (cdk-nag checked), as an assertions.Template."""
    return Template.from_json(template)


def methods(template: dict) -> list[dict]:
    return [r["Properties"] for r in template["Resources"].values() if r["Type"] == "AWS::ApiGateway::Method"]


def test_rest_api_with_a_traced_logged_throttled_stage(stack):
    stack.resource_count_is("AWS::ApiGateway::RestApi", 1)
    stack.has_resource_properties("AWS::ApiGateway::Stage", {
        "StageName": "v1",
        "TracingEnabled": True,
        "AccessLogSetting": {"DestinationArn": Match.any_value(), "Format": Match.string_like_regexp("apiKeyId")},
        "MethodSettings": Match.array_with([Match.object_like({
            "LoggingLevel": "ERROR", "ThrottlingRateLimit": Match.any_value(), "ThrottlingBurstLimit": Match.any_value(),
        })]),
    })


def test_usage_plan_with_throttle_and_quota_bound_to_a_key(stack):
    stack.has_resource_properties("AWS::ApiGateway::UsagePlan", {
        "Throttle": {"RateLimit": Match.any_value(), "BurstLimit": Match.any_value()},
        "Quota": {"Limit": Match.any_value(), "Period": "DAY"},
        "ApiStages": Match.array_with([Match.object_like({"ApiId": Match.any_value(), "Stage": Match.any_value()})]),
    })
    stack.resource_count_is("AWS::ApiGateway::ApiKey", 1)
    stack.has_resource_properties("AWS::ApiGateway::UsagePlanKey", {"KeyType": "API_KEY"})


def test_every_method_requires_a_key_or_iam(template):
    found = methods(template)
    assert len(found) == len(ROUTES)
    for method in found:
        if method["HttpMethod"] == "OPTIONS":
            continue
        assert method.get("ApiKeyRequired") is True or method.get("AuthorizationType") == "AWS_IAM", method


def test_gateway_validates_parameters_and_bodies_with_the_handlers_models(stack, template):
    stack.has_resource_properties("AWS::ApiGateway::RequestValidator",
                                  {"ValidateRequestBody": True, "ValidateRequestParameters": True})
    for model in (UploadRequest, JobRequest, PartsRequest, CompleteRequest):
        stack.has_resource_properties("AWS::ApiGateway::Model",
                                      {"Name": model.__name__, "ContentType": "application/json",
                                       "Schema": gateway_model(model)})
    bodies = [m for m in methods(template) if m["HttpMethod"] == "POST" and m.get("RequestModels")]
    assert len(bodies) == 4
    scenes = [m for m in methods(template) if m.get("RequestParameters")]
    assert scenes and scenes[0]["RequestParameters"] == {"method.request.querystring.tag": True}


def test_gateway_errors_use_the_handlers_error_shape(template):
    responses = {r["Properties"]["ResponseType"]: r["Properties"] for r in template["Resources"].values()
                 if r["Type"] == "AWS::ApiGateway::GatewayResponse"}
    for kind in ("DEFAULT_4XX", "DEFAULT_5XX", "INVALID_API_KEY", "THROTTLED", "QUOTA_EXCEEDED", "REQUEST_TOO_LARGE"):
        assert responses[kind]["ResponseTemplates"]["application/json"].startswith('{"error": {"code": ')
    assert responses["THROTTLED"]["StatusCode"] == "429"
    assert responses["REQUEST_TOO_LARGE"]["StatusCode"] == "413"
    assert responses["BAD_REQUEST_BODY"]["StatusCode"] == "422"


def test_api_function_environment_and_least_privilege(stack, template):
    stack.has_resource_properties("AWS::Lambda::Function", {
        "ImageConfig": {"Command": ["functions.api.handler.handler"]},
        "Environment": {"Variables": Match.object_like({
            "INGEST_BUCKET": Match.any_value(), "STATE_MACHINE_ARN": Match.any_value(),
            "TABLE_NAME": Match.any_value(), "OUTPUT_BUCKET": Match.any_value(),
            "MAX_BODY_BYTES": str(MAX_BODY_BYTES),
        })},
    })
    api_policy = next(r["Properties"] for lid, r in template["Resources"].items()
                      if r["Type"] == "AWS::IAM::Policy" and lid.startswith("FunctionsApiServiceRole"))
    actions = {a for s in api_policy["PolicyDocument"]["Statement"]
               for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    assert {"states:StartExecution", "states:StopExecution", "states:DescribeExecution", "s3:PutObject"} <= actions
    assert not any(a.startswith("s3:PutObject") and a != "s3:PutObject" for a in actions)
    assert "s3:Abort*" not in actions


def test_gateway_routes_are_the_handlers_routes():
    from functions.api.handler import app

    doc = app.get_openapi_schema()
    operations = {(path, method.upper()) for path, item in doc.paths.items() for method in item.model_dump(
        exclude_none=True)}
    documentation = {("/openapi.json", "GET"), ("/swagger", "GET")}
    assert {(r.path, r.method) for r in ROUTES} == operations | documentation


def test_gateway_models_are_draft4_and_agree_with_pydantic():
    from jsonschema import Draft4Validator
    from pydantic import ValidationError

    samples = {
        UploadRequest: [{"filename": "a.mp4"}, {"filename": "a.mp4", "title": "T", "content_type": "video/mp4"},
                        {}, {"filename": ""}, {"filename": "a.mp4", "x": 1}, {"filename": 3}],
        JobRequest: [{"asset_id": "a1"}, {"source_key": "k", "options": {"renditions": [720], "trailer_seconds": 30}},
                     {"asset_id": "a1", "options": {"trailer_seconds": 0}}, {"asset_id": "a1", "options": {"x": 1}},
                     {"asset_id": "a1", "options": {"stages": ["nope"]}}, {"asset_id": ""}],
    }
    for model, bodies in samples.items():
        schema = gateway_model(model)
        Draft4Validator.check_schema(schema)
        assert "$ref" not in str(schema) and "$defs" not in str(schema)
        validator = Draft4Validator(schema)
        for body in bodies:
            try:
                model.model_validate(body)
                accepted = True
            except ValidationError:
                accepted = False
            # The gateway may be more lenient (cross-field rules stay in the handler), never stricter.
            if accepted:
                assert validator.is_valid(body), (model.__name__, body)


class _InlineFunctions:
    """Stands in for MediaFunctions: a zip function, so this small stack synthesizes in well under a second."""

    def __init__(self, stack: Stack) -> None:
        self.scope = Construct(stack, "Functions")

    def add(self, spec):
        return lambda_.Function(self.scope, spec.name, runtime=lambda_.Runtime.PYTHON_3_11, handler="index.handler",
                                code=lambda_.Code.from_inline("def handler(event, context):\n    return {}\n"),
                                environment=spec.environment)


def test_iam_option_requires_sigv4_and_keeps_the_key():
    stack = Stack(App(builtin_cloud_formation_validation=False), "ApiIam")  # cfn-lint covers the real template
    storage = Storage(stack, "Storage")
    machine = sfn.StateMachine(stack, "Machine", definition_body=sfn.DefinitionBody.from_chainable(
        sfn.Pass(stack, "Nothing")))
    StudioApi(stack, "Api", functions=_InlineFunctions(stack), storage=storage, state_machine=machine,  # type: ignore[arg-type]
              auth="iam")
    found = methods(Template.from_stack(stack).to_json())
    assert found and all(m["AuthorizationType"] == "AWS_IAM" and m["ApiKeyRequired"] for m in found)


def test_unknown_auth_mode_is_refused():
    stack = Stack(App(builtin_cloud_formation_validation=False), "ApiBad")
    with pytest.raises(ValueError, match="api_auth"):
        StudioApi(stack, "Api", functions=_InlineFunctions(stack), storage=Storage(stack, "Storage"),  # type: ignore[arg-type]
                  state_machine=sfn.StateMachine(stack, "M", definition_body=sfn.DefinitionBody.from_chainable(
                      sfn.Pass(stack, "P"))), auth="open")
