"""Which files of an asset folder are the job's outputs: what manifest.json names, and what those files refer to.

`reelflow run` copies exactly these, so nothing else that happens to sit under the asset's prefix (an earlier
job's leftovers, files another stage wrote for itself) reaches the user's folder.
"""
from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Callable

MANIFEST = "manifest.json"
_URI_ATTRIBUTE = re.compile(r'URI="([^"]+)"')


class UnsafeOutputPath(ValueError):
    """Raised when a manifest or playlist names a path outside the asset folder (absolute, `..`, or a URL)."""


def playlist_uris(text: str) -> list[str]:
    """Every URI an HLS playlist names: variant playlists or segments (plain lines) and tag attributes
    such as `#EXT-X-MEDIA:URI="..."` or `#EXT-X-MAP:URI="..."`, in order, without duplicates."""
    found: list[str] = []
    for line in (raw.strip() for raw in text.splitlines()):
        candidates = _URI_ATTRIBUTE.findall(line) if line.startswith("#") else [line] if line else []
        found += [uri for uri in candidates if uri not in found]
    return found


def _inside(base: str, relative: str) -> str:
    """`relative` resolved against the folder of `base`, both relative to the asset folder."""
    if "://" in relative or relative.startswith("/"):
        raise UnsafeOutputPath(relative)
    path = posixpath.normpath(posixpath.join(posixpath.dirname(base), relative))
    if path == ".." or path.startswith("../"):
        raise UnsafeOutputPath(relative)
    return path


def output_files(manifest: dict, read_text: Callable[[str], str]) -> list[str]:
    """The asset-relative paths of every output file: manifest.json, each output it names, every playlist
    and segment the HLS master reaches, and every scene thumbnail scenes.json lists. `read_text` reads
    one asset-relative file (the playlists and scenes.json are read to follow their references)."""
    outputs: dict[str, str] = manifest.get("outputs") or {}
    files = [MANIFEST] + [_inside(MANIFEST, path) for path in outputs.values()]
    if "hls_master" in outputs:
        pending = [files[1 + list(outputs).index("hls_master")]]
        while pending:
            playlist = pending.pop()
            for uri in playlist_uris(read_text(playlist)):
                path = _inside(playlist, uri)
                files.append(path)
                if path.endswith(".m3u8"):
                    pending.append(path)
    if "scenes" in outputs:
        scenes_json = _inside(MANIFEST, outputs["scenes"])
        scenes = json.loads(read_text(scenes_json)).get("scenes", [])
        files += [_inside(scenes_json, scene["thumbnail"]) for scene in scenes if scene.get("thumbnail")]
    return list(dict.fromkeys(files))
