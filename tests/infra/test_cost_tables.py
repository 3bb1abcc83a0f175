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


def test_work_files_are_priced_for_as_long_as_the_lifecycle_rule_keeps_them():
    assert report.WORK_FILE_DAYS == config.WORK_RETENTION_DAYS
