"""The Amazon Transcribe engine on moto: the state machine starts the job, waits and polls it
(no Lambda sleeps), then turns Transcribe's result document into captions."""
import json
from pathlib import Path

import pytest
import srt

from functions.core.ingest import job_for, start_job
from functions.core.models import JobOptions
from functions.core.repository import Repository
from functions.core.settings import work_prefix
from reelflow.local.jobs import download_outputs, upload_source, wait_for_job

pytestmark = pytest.mark.xdist_group("cloud")

RESULT = Path(__file__).resolve().parents[1] / "fixtures" / "speech" / "transcribe_result.json"


def test_transcribe_engine_captions_from_result_document(cloud, clips, tmp_path):
    s3 = cloud.client("s3")
    ref = upload_source(cloud, clips["plain"], key="transcribe/interview.mp4")
    # The upload's own job (default engine) runs too; this is the re-run with Transcribe.
    job = job_for(ref, JobOptions(caption_engine="transcribe"))
    # moto runs no speech recognition: put the result where Transcribe would write it.
    s3.put_object(
        Bucket=cloud.output_bucket,
        Key=f"{work_prefix(job.asset_id, job.job_id)}/transcribe.json",
        Body=RESULT.read_bytes(),
    )
    start_job(job, repo=Repository(cloud.table_name), state_machine_arn=cloud.state_machine_arn)
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
    ref = upload_source(cloud, clips["plain"], key="transcribe/no-result.mp4")
    job = job_for(ref, JobOptions(caption_engine="transcribe"))
    start_job(job, repo=Repository(cloud.table_name), state_machine_arn=cloud.state_machine_arn)
    outcome = wait_for_job(cloud, job.job_id, job.asset_id, timeout=240)
    assert outcome.status == "PARTIAL"
    assert "result is missing" in outcome.job["stages"]["captions"]["error"]
    assert outcome.job["stages"]["transcode"]["status"] == "SUCCEEDED"
