"""Alarms on the ingest DLQ, failed executions and throttles, and the dashboard of the metrics Reelflow publishes."""
import json

from functions.core import metrics
from functions.core.models import STAGE_NAMES


def _of(template, kind):
    return [r["Properties"] for r in template["Resources"].values() if r["Type"] == kind]


def test_alarms_watch_the_dlq_failed_executions_and_every_functions_throttles(template):
    alarms = _of(template, "AWS::CloudWatch::Alarm")
    by_metric = {}
    for alarm in alarms:
        by_metric.setdefault((alarm["Namespace"], alarm["MetricName"]), []).append(alarm)
        assert alarm["Threshold"] == 1 and alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert len(by_metric[("AWS/SQS", "ApproximateNumberOfMessagesVisible")]) == 1
    assert len(by_metric[("AWS/States", "ExecutionsFailed")]) == 1
    functions = [r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    assert len(by_metric[("AWS/Lambda", "Throttles")]) == len(functions)


def test_the_dashboard_shows_the_published_metrics_in_their_namespace(template):
    [dashboard] = _of(template, "AWS::CloudWatch::Dashboard")
    body = json.dumps(dashboard["DashboardBody"])
    for name in (metrics.JOBS_STARTED, *metrics.JOB_OUTCOMES.values(), metrics.STAGE_SECONDS, metrics.JOB_COST):
        assert name in body
    assert f'\\"{metrics.NAMESPACE}\\"' in body and all(f'\\"{stage}\\"' in body for stage in STAGE_NAMES)


def test_every_function_publishes_to_that_namespace_and_the_stages_as_the_dashboards_service(template):
    for logical_id, fn in template["Resources"].items():
        if fn["Type"] != "AWS::Lambda::Function":
            continue
        variables = fn["Properties"]["Environment"]["Variables"]
        assert variables["POWERTOOLS_METRICS_NAMESPACE"] == metrics.NAMESPACE
        if logical_id.startswith(("FunctionsProbe", "FunctionsFinalize")):  # where the job metrics come from
            assert variables["POWERTOOLS_SERVICE_NAME"] == metrics.SERVICE
