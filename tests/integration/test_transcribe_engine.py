"""The Amazon Transcribe engine on moto: the state machine starts the job, waits and polls it
(no Lambda sleeps), then turns Transcribe's result document into captions."""
import json
from pathlib import Path

import pytest
import srt
import webvtt

from functions.core.captions.spans import span_job_name, span_result_key
from functions.core.models import JobOptions
from functions.core.settings import work_prefix
from reelflow.local.jobs import download_outputs, expected_job, upload_source, wait_for_job

pytestmark = pytest.mark.xdist_group("cloud")

RESULT = Path(__file__).resolve().parents[1] / "fixtures" / "speech" / "transcribe_result.json"
DIALOGUE = RESULT.with_name("transcribe_result_speakers.json")  # two speakers, Spanish, language identified


@pytest.fixture(scope="module")
def transcribe_jobs(cloud, clips) -> dict[str, tuple[str, str]]:
    """The module's three Transcribe jobs, uploaded at once so their 15 s Transcribe waits overlap. moto runs no
    recognition, so each result document is put where Transcribe writes it (a short source is one span, 0), long
    before the first poll:
    - "dialogue": asks, on the upload itself, for a vocabulary, language identification and speaker labels;
    - "interview": the default options, with a result document;
    - "no-result": the result never appears.
    One job per asset: a second job of the same asset would race it to transcript.json."""
    cloud.client("transcribe").create_vocabulary(VocabularyName="marcas", LanguageCode="es-US", Phrases=["Reelflow"])
    plain = JobOptions(caption_engine="transcribe")
    dialogue = JobOptions(caption_engine="transcribe", stages=["captions"], language="auto",
                          language_options=["en-US", "es-US"], transcribe_vocabulary="marcas", max_speakers=2)
    jobs = {}
    for name, options, result in (("dialogue", dialogue, DIALOGUE), ("interview", plain, RESULT),
                                  ("no-result", plain, None)):
        ref = upload_source(cloud, clips["plain"], key=f"transcribe/{name}.mp4", options=options)
        job_id, asset_id = jobs[name] = expected_job(ref)
        if result is not None:
            cloud.client("s3").put_object(Bucket=cloud.output_bucket, Body=result.read_bytes(),
                                          Key=span_result_key(work_prefix(asset_id, job_id), 0))
    return jobs


def test_transcribe_engine_captions_from_result_document(cloud, transcribe_jobs, tmp_path):
    job_id, asset_id = transcribe_jobs["interview"]
    outcome = wait_for_job(cloud, job_id, asset_id, timeout=240)

    assert outcome.job["stages"]["captions"]["status"] == "SUCCEEDED", outcome.job["stages"]["captions"]
    out = download_outputs(cloud, asset_id, tmp_path)
    transcript = json.loads((out / "transcript.json").read_text())
    assert transcript["engine"] == "transcribe"
    expected = json.loads(RESULT.read_text())["results"]["transcripts"][0]["transcript"]
    assert " ".join(w["text"] for w in transcript["words"]) == expected
    subtitles = list(srt.parse((out / "captions" / "en.srt").read_text()))
    assert " ".join(s.content.replace("\n", " ") for s in subtitles) == expected

    history = cloud.client("stepfunctions").get_execution_history(
        executionArn=cloud.state_machine_arn.replace(":stateMachine:", ":execution:") + f":{job_id}",
        maxResults=1000,
    )["events"]
    entered = [e["stateEnteredEventDetails"]["name"] for e in history if "stateEnteredEventDetails" in e]
    assert entered.count("PollTranscribe") >= 2 and "WaitForTranscribe" in entered
    assert entered.count("ExtractAudioPart") == 1 and entered.count("TranscribeStart") == 1


def test_missing_transcribe_result_fails_captions_only(cloud, transcribe_jobs):
    outcome = wait_for_job(cloud, *transcribe_jobs["no-result"], timeout=240)
    assert outcome.status == "PARTIAL"
    assert outcome.job["stages"]["captions"]["error_code"] == "TranscribeFailed"
    assert outcome.job["stages"]["transcode"]["status"] == "SUCCEEDED"


def test_transcribe_options_from_upload_metadata_reach_transcribe_and_the_captions(cloud, transcribe_jobs, tmp_path):
    job_id, asset_id = transcribe_jobs["dialogue"]
    outcome = wait_for_job(cloud, job_id, asset_id, timeout=240)

    captions = outcome.job["stages"]["captions"]
    assert captions["status"] == "SUCCEEDED", captions
    # What moto kept of the request; it drops LanguageIdSettings (the vocabulary under es-US with `auto`),
    # which tests/unit/test_captions_transcribe.py asserts on the built request.
    started = cloud.client("transcribe").get_transcription_job(
        TranscriptionJobName=span_job_name(job_id, 0))["TranscriptionJob"]
    assert started["IdentifyLanguage"] is True and started["LanguageOptions"] == ["en-US", "es-US"]
    assert started["Settings"] == {"ShowSpeakerLabels": True, "MaxSpeakerLabels": 2}

    out = download_outputs(cloud, asset_id, tmp_path)
    words = json.loads((out / "transcript.json").read_text())["words"]
    assert {w["speaker"] for w in words} == {"spk_0", "spk_1"}
    cues = webvtt.read(out / "captions" / "es.vtt").captions
    position = 0
    for cue in cues:  # every cue's words come from one speaker, the one its voice span names
        count = len(cue.text.split())
        speakers = {w["speaker"] for w in words[position : position + count]}
        assert speakers == {"spk_" + str(int(cue.voice.removeprefix("Speaker ")) - 1)}, cue.raw_text
        position += count
    assert position == len(words) and len({c.voice for c in cues}) == 2
