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


class NagFindings(RuntimeError):
    """Raised by an in-process synth when cdk-nag reports a finding nobody acknowledged (the CLI exits 1)."""


def synth_template(outdir: Path, context: dict[str, Any] | None = None) -> dict[str, Any]:
    """Synthesize in-process and return the stack's CloudFormation template; NagFindings if cdk-nag objects."""
    assembly = build_app(outdir, context).synth()
    report = outdir / "validation-report.json"
    if report.exists():
        # Each unacknowledged finding is a violation (the report's "conclusion" can still say success).
        rules = sorted({violation["ruleName"] for plugin in json.loads(report.read_text())["pluginReports"]
                        for violation in plugin["violations"]})
        if rules:
            raise NagFindings(f"cdk-nag: unacknowledged findings: {', '.join(rules)}")
    return assembly.get_stack_by_name(STACK_NAME).template
