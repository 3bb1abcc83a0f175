"""`reelflow estimate`: the plan, wall time, cost and largest state, for a file or a length and a frame size."""
from reelflow.cli import main
from tests.conftest import SAMPLE


def test_estimate_for_a_length_and_height_prints_the_plan_time_state_and_cost(capsys):
    assert main(["estimate", "--duration", "3600", "--height", "1080", "--caption-engine", "pocketsphinx"]) == 0
    out = capsys.readouterr().out
    assert "in 30 chunk(s) of 120 s" in out and "TranscodeChunk 30" in out
    assert "Estimated AWS wall time:" in out and "Largest state payload:" in out
    assert "Estimated cost: $" in out and "Lambda TranscodeChunk compute" in out


def test_estimate_for_a_file_probes_it(capsys):
    assert main(["estimate", str(SAMPLE)]) == 0
    out = capsys.readouterr().out
    assert "Footage: 20.0 s, 640x360" in out and "in 1 chunk(s) of 20 s" in out


def test_estimate_needs_a_file_or_both_sizes(capsys):
    assert main(["estimate", "--duration", "10"]) == 2
    assert main(["estimate", str(SAMPLE), "--height", "720"]) == 2
