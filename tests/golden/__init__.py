"""Golden files and the one switch that rewrites them all.

Tests compare what the code produces with a file committed here (or, for the scene exports, in
tests/fixtures/scenes). After an intended change, rewrite every golden from the current code and
review the diff, like PySceneDetect's generate_goldens.py:

    REELFLOW_REGENERATE_GOLDENS=1 python -m pytest -k golden -n 0
    git diff tests/golden tests/fixtures/scenes

Under the switch each `text`/`json_value` call first writes the golden, so the test passes and the
change shows up in git instead. The renderings here keep goldens readable and free of volatile
values: hash-suffixed logical ids become names, ids and timings become their types.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from reelflow.local.cloud import construct_name
from reelflow.local.intrinsics import Intrinsics

GOLDEN_DIR = Path(__file__).resolve().parent
SWITCH = "REELFLOW_REGENERATE_GOLDENS"
REGENERATE = os.environ.get(SWITCH) == "1"
HOW = f"differs from its golden file; if the change is intended, rewrite the goldens with {SWITCH}=1, review the diff"


def text(path: Path | str, actual: str) -> str:
    """The golden text at `path` (relative to tests/golden unless absolute); rewritten from `actual` first
    under the switch."""
    path = GOLDEN_DIR / path
    if REGENERATE:
        path.write_text(actual, encoding="utf-8")
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: create it with {SWITCH}=1")
    return path.read_text(encoding="utf-8")


def json_value(path: Path | str, actual: Any) -> Any:
    """The golden JSON at `path`, parsed (compare values: key order is not part of a golden)."""
    return json.loads(text(path, json.dumps(actual, indent=2, ensure_ascii=False) + "\n"))


def state_machine_definition(template: dict) -> dict:
    """The state machine's definition as plain JSON, with `${Probe}` for the Probe function's ARN, `${Name}` for
    any other resource a Ref names, `${Name.Attribute}` for other attributes and `${AWS::Partition}` for pseudo
    parameters: readable, and independent of CDK's logical-id hashes."""
    resources = template["Resources"]
    names = {lid: construct_name(lid) for lid in resources}
    physical = {lid: "${%s}" % name for lid, name in names.items()}
    attributes = {lid: _Placeholders(names[lid], function=resources[lid]["Type"] == "AWS::Lambda::Function")
                  for lid in resources}
    resolver = Intrinsics(physical, attributes, pseudo=_PseudoPlaceholders())
    (machine,) = (r for r in resources.values() if r["Type"] == "AWS::StepFunctions::StateMachine")
    return json.loads(resolver.resolve(machine["Properties"]["DefinitionString"]))


def shape(value: Any, *, keep: frozenset[str] = frozenset({"status"}), key: str | None = None) -> Any:
    """`value` reduced to its structure: mappings keep their keys, lists their items' shapes, and every other
    value becomes its JSON type (`string`, `number`, `boolean`, `null`), except under the keys in `keep`."""
    if isinstance(value, dict):
        return {k: shape(v, keep=keep, key=k) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(v, keep=keep) for v in value]
    if key in keep:
        return value
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return "string" if isinstance(value, str) else type(value).__name__


def manifest_shape(manifest: dict) -> dict:
    """A job manifest without its volatile values (ids, times, seconds, notes, costs): keys, types, stage names and
    statuses, output names, each output's path, which the manifest contract fixes relative to the asset, and
    what the cost report itemises."""
    reduced = shape(manifest)
    reduced["outputs"] = dict(manifest["outputs"])
    if manifest.get("cost"):  # which items the cost has (stage, what, unit), not the figures
        reduced["cost"]["items"] = [shape(item, keep=frozenset({"stage", "what", "unit"}))
                                    for item in manifest["cost"]["items"]]
    return reduced


class _Placeholders(dict):
    def __init__(self, name: str, *, function: bool) -> None:
        super().__init__()
        self.name, self.function = name, function

    def __missing__(self, attribute: str) -> str:
        if self.function and attribute == "Arn":
            return "${%s}" % self.name.removeprefix("Functions")
        return "${%s.%s}" % (self.name, attribute)


class _PseudoPlaceholders(dict):
    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.startswith("AWS::")

    def __missing__(self, name: str) -> str:
        return "${%s}" % name
