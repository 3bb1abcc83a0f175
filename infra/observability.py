"""Alarms and a dashboard: the ingest DLQ, failed executions and throttled functions alarm; the dashboard shows
jobs by outcome, stage times and cost per job (functions.core.metrics publishes them), beside the executions.

The alarms have no actions: subscribe a topic or a pager to them where the stack is deployed."""
from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from functions.core import metrics as names
from functions.core.models import STAGE_NAMES

PERIOD = Duration.minutes(5)


def job_metric(name: str, statistic: str = "Sum", **dimensions: str) -> cw.Metric:
    return cw.Metric(namespace=names.NAMESPACE, metric_name=name, statistic=statistic, period=PERIOD,
                     dimensions_map={"service": names.SERVICE, **dimensions})


class Observability(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, dlq: sqs.IQueue, state_machine: sfn.StateMachine,
                 functions: dict[str, lambda_.Function]) -> None:
        super().__init__(scope, construct_id)
        above_zero = {"threshold": 1, "evaluation_periods": 1,
                      "comparison_operator": cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                      "treat_missing_data": cw.TreatMissingData.NOT_BREACHING}
        self.alarms = [
            cw.Alarm(self, "IngestDlqNotEmpty", alarm_description="An upload failed ingest three times",
                     metric=dlq.metric_approximate_number_of_messages_visible(period=PERIOD, statistic="Maximum"),
                     **above_zero),
            cw.Alarm(self, "ExecutionsFailed", alarm_description="Jobs ended FAILED (or their execution did)",
                     metric=state_machine.metric_failed(period=PERIOD, statistic="Sum"), **above_zero),
            *(cw.Alarm(self, f"{name}Throttled", alarm_description=f"{name} was throttled (reserved concurrency)",
                       metric=fn.metric_throttles(period=PERIOD, statistic="Sum"), **above_zero)
              for name, fn in sorted(functions.items())),
        ]
        jobs = [job_metric(names.JOBS_STARTED), *(job_metric(n) for n in names.JOB_OUTCOMES.values())]
        self.dashboard = cw.Dashboard(self, "Dashboard", widgets=[
            [cw.GraphWidget(title="Jobs", left=jobs, width=12),
             cw.GraphWidget(title="Executions", width=12, left=[
                 state_machine.metric_started(period=PERIOD), state_machine.metric_succeeded(period=PERIOD),
                 state_machine.metric_failed(period=PERIOD), state_machine.metric_timed_out(period=PERIOD)])],
            [cw.GraphWidget(title="Stage seconds (average)", width=12, left=[
                job_metric(names.STAGE_SECONDS, "Average", stage=stage) for stage in STAGE_NAMES]),
             cw.GraphWidget(title="Cost per job, USD", width=12, left=[
                 job_metric(names.JOB_COST, "Average"), job_metric(names.JOB_COST, "Maximum")],
                 right=[job_metric(names.JOB_COST_PER_MINUTE, "Average")])],
            [cw.AlarmStatusWidget(title="Alarms", alarms=self.alarms, width=24)],
        ])
