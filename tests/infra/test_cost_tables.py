"""The cost code's view of the stack (functions.core.cost.lambdas) is the synthesized template's."""
import pytest

from functions.core.cost import lambdas, report
from infra import config
from reelflow.local.cloud import construct_name
from tests import golden


@pytest.fixture(scope="module")
def definition(template) -> dict:
    return golden.state_machine_definition(template)


def _tasks(states: dict) -> dict[str, str]:
    found = {}
    for name, state in states.items():
        resource = state.get("Resource", "")
        if state["Type"] == "Task" and resource.startswith("${"):
            found[name] = resource.strip("${}")
        for branch in state.get("Branches", []):
            found |= _tasks(branch["States"])
        if "ItemProcessor" in state:
            found |= _tasks(state["ItemProcessor"]["States"])
    return found


def test_every_lambda_task_state_is_known_with_its_function(definition):
    assert _tasks(definition["States"]) == lambdas.STATE_FUNCTIONS


def test_memory_sizes_are_the_templates(template):
    memory = {construct_name(lid).removeprefix("Functions"): res["Properties"]["MemorySize"]
              for lid, res in template["Resources"].items() if res["Type"] == "AWS::Lambda::Function"}
    assert {name: memory[name] for name in lambdas.FUNCTION_MEMORY_MB} == lambdas.FUNCTION_MEMORY_MB
    assert set(lambdas.FUNCTION_STAGES) == set(lambdas.FUNCTION_MEMORY_MB) == set(lambdas.STATE_FUNCTIONS.values())


def test_timeouts_are_the_templates(template):
    timeout = {construct_name(lid).removeprefix("Functions"): res["Properties"]["Timeout"]
               for lid, res in template["Resources"].items() if res["Type"] == "AWS::Lambda::Function"}
    assert {name: timeout[name] for name in lambdas.FUNCTION_TIMEOUT_SECONDS} == lambdas.FUNCTION_TIMEOUT_SECONDS


def test_ephemeral_storage_is_the_templates(template):
    """The estimate holds each invocation's files in /tmp against these (tests/unit/test_service_limits.py)."""
    storage = {construct_name(lid).removeprefix("Functions"): res["Properties"].get("EphemeralStorage", {}).get("Size")
               for lid, res in template["Resources"].items() if res["Type"] == "AWS::Lambda::Function"}
    assert {name: storage[name] or 512 for name in lambdas.FUNCTION_EPHEMERAL_MB} == lambdas.FUNCTION_EPHEMERAL_MB


def test_work_files_are_priced_for_as_long_as_the_lifecycle_rule_keeps_them():
    assert report.WORK_FILE_DAYS == config.WORK_RETENTION_DAYS


def test_the_estimate_runs_the_maps_as_wide_as_the_state_machine_and_overlaps_caption_parts_as_they_do():
    from functions.core.captions.parts import PART_OVERLAP
    from functions.core.cost import estimate
    from infra.pipeline import CHUNK_CONCURRENCY

    assert estimate.MAP_CONCURRENCY == CHUNK_CONCURRENCY
    assert estimate.CAPTION_OVERLAP_SECONDS == PART_OVERLAP


def test_budget_defaults_come_from_context_to_probe():
    from aws_cdk import App

    from infra.config import ConfigError, StackConfig

    app = App(context={"max_cost_usd": "2.5", "max_duration_seconds": 600})
    config = StackConfig.from_context(app)
    assert config.budget_environment == {"DEFAULT_MAX_COST_USD": "2.5", "DEFAULT_MAX_JOB_SECONDS": "600"}
    assert StackConfig.from_context(App()).budget_environment == {}
    with pytest.raises(ConfigError):
        StackConfig.from_context(App(context={"max_cost_usd": "-1"}))
