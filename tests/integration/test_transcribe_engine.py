"""The Amazon Transcribe engine on moto: the state machine starts the job, waits and polls it
(no Lambda sleeps), then turns Transcribe's result document into captions."""
import json
from pathlib import Path

import pytest
import srt
import webvtt

from functions.core.ingest import job_for
from functions.core.models import JobOptions
from functions.core.settings import work_prefix
from reelflow.local.jobs import download_outputs, expected_job, upload_source, wait_for_job

pytestmark = pytest.mark.xdist_group("cloud")

RESULT = Path(__file__).resolve().parents[1] / "fixtures" / "speech" / "transcribe_result.json"
DIALOGUE = RESULT.with_name("transcribe_result_speakers.json")  # two speakers, Spanish, language identified


@pytest.fixture(scope="module")
def dialogue_job(cloud, clips) -> tuple[str, str]:
    """A job asking, on the upload itself, for a vocabulary, language identification and speaker labels.
    Started before the first test's job, so the two jobs' 15 s Transcribe waits overlap."""
    cloud.client("transcribe").create_vocabulary(VocabularyName="marcas", LanguageCode="es-US", Phrases=["Reelflow"])
    options = JobOptions(caption_engine="transcribe", stages=["captions"], language="auto",
                         language_options=["en-US", "es-US"], transcribe_vocabulary="marcas", max_speakers=2)
    ref = upload_source(cloud, clips["plain"], key="transcribe/dialogue.mp4", options=options)
    job_id, asset_id = expected_job(ref)
    cloud.client("s3").put_object(  # long before the first poll: moto runs no recognition
        Bucket=cloud.output_bucket, Key=f"{work_prefix(asset_id, job_id)}/transcribe.json", Body=DIALOGUE.read_bytes())
    return job_id, asset_id


def test_transcribe_engine_captions_from_result_document(cloud, clips, dialogue_job, tmp_path):
    s3 = cloud.client("s3")
    # One job only: a second job of the same asset (the default engine's) would race it to transcript.json.
    ref = upload_source(cloud, clips["plain"], key="transcribe/interview.mp4",
                        options=JobOptions(caption_engine="transcribe"))
    job_id, asset_id = expected_job(ref)
    # moto runs no speech recognition: put the result where Transcribe will write it, long before the first poll.
    s3.put_object(Bucket=cloud.output_bucket, Key=f"{work_prefix(asset_id, job_id)}/transcribe.json",
                  Body=RESULT.read_bytes())
    job = job_for(ref, JobOptions(caption_engine="transcribe"))
    assert (job.job_id, job.asset_id) == (job_id, asset_id)
    outcome = wait_for_job(cloud, job.job_id, job.asset_id, timeout=240)

    assert outcome.job["stages"]["captions"]["status"] == "SUCCEEDED", outcome.job["stages"]["captions"]
    out = download_outputs(cloud, job.asset_id, tmp_path)
    transcript = json.loads((out / "transcript.json").read_text())
    assert transcript["engine"] == "transcribe"
    expected = json.loads(RESULT.read_text())["results"]["transcripts"][0]["transcript"]
    assert " ".join(w["text"] for w in transcript["words"]) == expected
    subtitles = list(srt.parse((out / "captions" / "en.srt").read_text()))
    assert " ".join(s.content.replace("\n", " ") for s in subtitles) == expected

    history = cloud.client("stepfunctions").get_execution_history(
        executionArn=cloud.state_machine_arn.replace(":stateMachine:", ":execution:") + f":{job.job_id}",
        maxResults=1000,
    )["events"]
    entered = [e["stateEnteredEventDetails"]["name"] for e in history if "stateEnteredEventDetails" in e]
    assert entered.count("PollTranscribe") >= 2 and "WaitForTranscribe" in entered


def test_missing_transcribe_result_fails_captions_only(cloud, clips):
    ref = upload_source(cloud, clips["plain"], key="transcribe/no-result.mp4",
                        options=JobOptions(caption_engine="transcribe"))
    outcome = wait_for_job(cloud, *expected_job(ref), timeout=240)
    assert outcome.status == "PARTIAL"
    assert outcome.job["stages"]["captions"]["error_code"] == "TranscribeFailed"
    assert outcome.job["stages"]["transcode"]["status"] == "SUCCEEDED"


def test_transcribe_options_from_upload_metadata_reach_transcribe_and_the_captions(cloud, dialogue_job, tmp_path):
    job_id, asset_id = dialogue_job
    outcome = wait_for_job(cloud, job_id, asset_id, timeout=240)

    captions = outcome.job["stages"]["captions"]
    assert captions["status"] == "SUCCEEDED", captions
    # What moto kept of the request; it drops LanguageIdSettings (the vocabulary under es-US with `auto`),
    # which tests/unit/test_captions_transcribe.py asserts on the built request.
    started = cloud.client("transcribe").get_transcription_job(TranscriptionJobName=job_id)["TranscriptionJob"]
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
