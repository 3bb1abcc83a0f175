"""`reelflow run` copies what the manifest names and what those files refer to, nothing else."""
import json

import pytest

from reelflow.local.outputs import UnsafeOutputPath, output_files, playlist_uris

MASTER = """#EXTM3U
#EXT-X-VERSION:3
#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aac",NAME="en",URI="audio/index.m3u8"
#EXT-X-STREAM-INF:BANDWIDTH=2000000,RESOLUTION=1280x720
720p/index.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=900000,RESOLUTION=854x480
480p/index.m3u8
"""


def media(*segments: str) -> str:
    body = "".join(f"#EXTINF:4.000000,\n{s}\n" for s in segments)
    return f"#EXTM3U\n#EXT-X-TARGETDURATION:4\n{body}#EXT-X-ENDLIST\n"


FILES = {
    "hls/master.m3u8": MASTER,
    "hls/720p/index.m3u8": media("c0000-00000.ts", "c0000-00001.ts"),
    "hls/480p/index.m3u8": media("c0000-00000.ts"),
    "hls/audio/index.m3u8": media("a-00000.ts"),
    "scenes.json": json.dumps({"scenes": [{"thumbnail": "thumbs/scene-0000.jpg"},
                                          {"thumbnail": "thumbs/scene-0001.jpg"}]}),
}


def test_playlist_uris_lists_variants_media_and_segments():
    assert playlist_uris(MASTER) == ["audio/index.m3u8", "720p/index.m3u8", "480p/index.m3u8"]
    assert playlist_uris(media("a.ts", "b.ts")) == ["a.ts", "b.ts"]


def test_output_files_follow_the_manifest_playlists_and_scenes():
    manifest = {"outputs": {"hls_master": "hls/master.m3u8", "proxy": "proxy.mp4", "scenes": "scenes.json"}}
    files = output_files(manifest, FILES.__getitem__)
    assert sorted(files) == sorted([
        "manifest.json", "hls/master.m3u8", "proxy.mp4", "scenes.json",
        "hls/audio/index.m3u8", "hls/audio/a-00000.ts",
        "hls/720p/index.m3u8", "hls/720p/c0000-00000.ts", "hls/720p/c0000-00001.ts",
        "hls/480p/index.m3u8", "hls/480p/c0000-00000.ts",
        "thumbs/scene-0000.jpg", "thumbs/scene-0001.jpg",
    ])


def test_a_failed_job_copies_only_its_manifest():
    assert output_files({"outputs": {}}, FILES.__getitem__) == ["manifest.json"]


@pytest.mark.parametrize("path", ["../other/proxy.mp4", "/etc/passwd", "https://example.com/x.ts", "a/../../x"])
def test_paths_outside_the_asset_folder_are_refused(path):
    with pytest.raises(UnsafeOutputPath):
        output_files({"outputs": {"proxy": path}}, FILES.__getitem__)
