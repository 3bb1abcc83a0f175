"""The Powertools Logger, Tracer and Metrics every handler shares."""
from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
tracer = Tracer()
metrics = Metrics()
