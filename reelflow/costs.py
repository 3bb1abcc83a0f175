"""How the CLI shows a cost report (the measured one of `reelflow run`, the estimate of `reelflow estimate`)."""
from __future__ import annotations

from functions.core.cost.models import CostReport


def cost_lines(cost: CostReport | dict, title: str = "Cost") -> list[str]:
    report = CostReport.model_validate(cost)
    per_minute = (f", ${report.usd_per_source_minute:.6f} per source minute"
                  if report.usd_per_source_minute is not None else "")
    lines = [f"{title}: ${report.total_usd:.6f}{per_minute} ({report.prices})"]
    width = max((len(i.stage) for i in report.items), default=0)
    what = max((len(i.what) for i in report.items), default=0)
    for i in report.items:
        lines.append(f"  {i.stage:<{width}} {i.what:<{what}} {i.quantity:>14,.3f} {i.unit:<11} ${i.usd:.8f}")
    return lines
