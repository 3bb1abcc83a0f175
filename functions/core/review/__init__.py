"""The review page: one self-contained HTML page per asset that shows everything a job produced.

`render_review_page` is pure (typed inputs in, HTML out); `publish_review` is Finalize's step that reads the
job's documents from the output bucket, renders the page and writes it to `assets/<id>/review/index.html`.
"""
from functions.core.review.models import OUTPUT_REVIEW, REVIEW_PATH, Missing, ReviewInputs
from functions.core.review.page import render_review_page
from functions.core.review.publish import gather_inputs, player_script, publish_review

__all__ = ["OUTPUT_REVIEW", "REVIEW_PATH", "Missing", "ReviewInputs", "gather_inputs", "player_script",
           "publish_review", "render_review_page"]
