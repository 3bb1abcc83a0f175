"""Writers: each turns a ScenesDocument into one output format and knows nothing about detection."""
from functions.core.scenes.writers.contact_sheet import contact_sheet_jpeg
from functions.core.scenes.writers.edl import edl_text
from functions.core.scenes.writers.fcpxml import fcpxml_text
from functions.core.scenes.writers.otio import otio_text
from functions.core.scenes.writers.scenes_json import scenes_json_text

__all__ = ["contact_sheet_jpeg", "edl_text", "fcpxml_text", "otio_text", "scenes_json_text"]
