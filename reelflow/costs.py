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
        dollars = f"{i.usd:.8f}" if i.usd >= 1e-8 or not i.usd else f"{i.usd:.1e}"
        lines.append(f"  {i.stage:<{width}} {i.what:<{what}} {i.quantity:>14,.3f} {i.unit:<11} ${dollars}")
    return lines


def estimate_lines(estimate) -> list[str]:
    """`reelflow estimate`'s report of a functions.core.cost.estimate.JobEstimate."""
    from functions.core.cost.estimate import STATE_LIMIT_BYTES

    calls = ", ".join(f"{name} {count}" for name, count in estimate.invocations.items())
    minutes, seconds = divmod(estimate.wall_seconds, 60)
    return [
        f"Plan: {estimate.source_seconds:.1f} s of footage in {estimate.chunks} chunk(s) of "
        f"{estimate.chunk_seconds:g} s; "
        f"{sum(estimate.invocations.values())} Lambda invocations ({calls}); {estimate.transitions} state transitions",
        f"Estimated AWS wall time: {int(minutes)} min {seconds:.0f} s",
        f"Largest state payload: {estimate.largest_state_bytes:,} bytes, "
        f"{estimate.largest_state_bytes / STATE_LIMIT_BYTES:.0%} of Step Functions' 256 KB ({estimate.largest_state})",
        *cost_lines(estimate.cost, title="Estimated cost"),
    ]
