"""Builds the CDK app once, for `cdk synth`, the tests and the local runtime alike."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aws_cdk import App, Validations
from cdk_nag import AwsSolutionsChecks

from infra.stack import ReelflowStack

STACK_NAME = "Reelflow"
CDK_JSON = Path(__file__).resolve().parent.parent / "cdk.json"


def build_app(outdir: Path | None = None, context: dict[str, Any] | None = None) -> App:
    # The CLI passes cdk.json's feature flags itself; in-process synths read them here.
    flags = json.loads(CDK_JSON.read_text())["context"]
    app = App(outdir=str(outdir) if outdir else None, context={**flags, **(context or {})})
    ReelflowStack(app, STACK_NAME, description="Reelflow serverless media pipeline")
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app


def synth_template(outdir: Path, context: dict[str, Any] | None = None) -> dict[str, Any]:
    """Synthesize in-process and return the stack's CloudFormation template."""
    assembly = build_app(outdir, context).synth()
    return assembly.get_stack_by_name(STACK_NAME).template
