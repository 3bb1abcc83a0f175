"""Contact sheet: a JPEG grid of scene keyframes, each labelled with its number and start timecode."""
from __future__ import annotations

import math
from collections.abc import Sequence

import cv2
import numpy as np

from functions.core.scenes.models import Scene

TILE_WIDTH = 240
COLUMNS = 5
LABEL_HEIGHT = 22
GAP = 6
MAX_TILES = 400  # beyond this the sheet gets unwieldy; later scenes are left off
BACKGROUND = (32, 32, 32)


def contact_sheet_jpeg(scenes: Sequence[Scene], keyframes: Sequence[np.ndarray | None], aspect: float) -> bytes:
    """`keyframes[i]` is the BGR image of `scenes[i]` (None draws an empty tile); `aspect` = width / height."""
    count = min(len(scenes), MAX_TILES)
    tile_h = max(2, round(TILE_WIDTH / max(aspect, 0.1)))
    cols = max(1, min(COLUMNS, count))
    rows = max(1, math.ceil(count / cols))
    cell_w, cell_h = TILE_WIDTH + GAP, tile_h + LABEL_HEIGHT + GAP
    sheet = np.full((rows * cell_h + GAP, cols * cell_w + GAP, 3), BACKGROUND, np.uint8)
    for i in range(count):
        x, y = GAP + (i % cols) * cell_w, GAP + (i // cols) * cell_h
        image = keyframes[i]
        if image is not None:
            tile = cv2.resize(image, (TILE_WIDTH, tile_h), interpolation=cv2.INTER_AREA)
            sheet[y:y + tile_h, x:x + TILE_WIDTH] = tile
        label = f"#{scenes[i].index}  {scenes[i].start_timecode}"
        cv2.putText(sheet, label, (x + 2, y + tile_h + 16), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (235, 235, 235), 1,
                    cv2.LINE_AA)
    ok, buf = cv2.imencode(".jpg", sheet, [cv2.IMWRITE_JPEG_QUALITY, 85])
    if not ok:
        raise RuntimeError("could not encode the contact sheet")
    return buf.tobytes()
