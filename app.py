#!/usr/bin/env python3
"""CDK entry point: the Reelflow stack, checked by cdk-nag's AwsSolutions pack."""
from infra.app import build_app

build_app().synth()
