"""The state machine's Maps against what their mode allows."""
from tests import golden

# Step Functions runs at most 40 iterations of an inline Map at once; its items travel in the state, whose
# size tests/unit/test_service_limits.py checks for 12 h of footage.
INLINE_CONCURRENCY_LIMIT = 40


def _maps(states: dict) -> dict[str, dict]:
    found = {}
    for name, state in states.items():
        if state["Type"] == "Map":
            found[name] = state
        for branch in state.get("Branches", []):
            found |= _maps(branch["States"])
    return found


def test_every_map_is_inline_within_its_concurrency_limit(template):
    maps = _maps(golden.state_machine_definition(template)["States"])
    assert set(maps) == {"EncodeChunks", "TranscribeParts", "ExtractAudioParts", "TranscribeSpans", "MeasureSceneParts",
                         "MeasureScenePartsAfterTranscode"}
    for name, state in maps.items():
        mode = state["ItemProcessor"].get("ProcessorConfig", {}).get("Mode", "INLINE")
        assert mode == "INLINE", name
        assert 0 < state["MaxConcurrency"] <= INLINE_CONCURRENCY_LIMIT, name
