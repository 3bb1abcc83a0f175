"""`reelflow run` flags map onto JobOptions (and so onto the upload's metadata), with choices from the model."""
from __future__ import annotations

import pytest

from functions.core.ingest import metadata_for, options_from_metadata
from functions.core.models import OPTIONAL_STAGES, JobOptions, VideoCodec
from reelflow.cli import _job_options, _parser


def options_for(*flags: str) -> JobOptions:
    return _job_options(_parser().parse_args(["run", "clip.mp4", *flags]))


def test_stages_and_renditions_become_job_options_and_upload_metadata():
    options = options_for("--stages", "scenes", "--renditions", "720,480")
    assert options.stages == ["scenes"]
    assert options.renditions == [720, 480]
    assert options_from_metadata(metadata_for(options)) == (options, [])


def test_the_video_codec_becomes_a_job_option_and_upload_metadata():
    options = options_for("--video-codec", "hevc")
    assert options.video_codec == VideoCodec.HEVC
    assert metadata_for(options) == {"video-codec": "hevc"}
    assert options_from_metadata(metadata_for(options)) == (options, [])
    assert options_for().video_codec == VideoCodec.H264


def test_every_optional_stage_is_a_choice_and_repeats_collapse():
    options = options_for("--stages", ",".join([*OPTIONAL_STAGES, OPTIONAL_STAGES[0]]))
    assert options.stages == list(OPTIONAL_STAGES)


def test_without_the_flags_every_stage_and_the_default_ladder_run():
    options = options_for()
    assert options.stages is None and options.renditions is None


@pytest.mark.parametrize("flags", [["--stages", "scenes,probe"], ["--stages", ","], ["--renditions", "720p"],
                                   ["--renditions", "0"], ["--renditions", "-360"], ["--video-codec", "av1"]])
def test_unknown_stages_and_bad_heights_are_usage_errors(flags, capsys):
    with pytest.raises(SystemExit) as exc:
        options_for(*flags)
    assert exc.value.code == 2
