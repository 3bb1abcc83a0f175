"""What analysis stages publish for search: scene items with a tag index, and the transcript summary.

Scene `pk=ASSET#<id>, sk=SCENE#<0001>`; one index item per tag `sk=SCENETAG#<tag>#<0001>` with
`gsi1pk=TAG#<tag>, gsi1sk=<asset_id>#<0001>`, so gsi1 finds scenes by tag across assets.
"""
from __future__ import annotations

from typing import Any

from boto3.dynamodb.conditions import Key

from functions.core.repository import Repository, to_item

SCENE_FIELDS = ("index", "start", "end", "duration", "start_timecode", "end_timecode", "thumbnail", "tags", "labels")


class Catalog(Repository):
    def put_scenes(self, asset_id: str, scenes: list[dict[str, Any]]) -> None:
        """Replace the asset's scene items (a re-run may find different scenes)."""
        self._delete_prefix(asset_id, "SCENE")
        with self.table.batch_writer() as batch:
            for scene in scenes:
                number = f"{scene['index']:04d}"
                record = {k: scene[k] for k in SCENE_FIELDS if k in scene} | {
                    "asset_id": asset_id,
                    "thumbnail": f"assets/{asset_id}/{scene['thumbnail']}",
                    "features": scene.get("features", {}),
                }
                batch.put_item(Item=to_item({"pk": f"ASSET#{asset_id}", "sk": f"SCENE#{number}", **record}))
                for tag in scene.get("tags", []):
                    batch.put_item(
                        Item=to_item({
                            "pk": f"ASSET#{asset_id}", "sk": f"SCENETAG#{tag}#{number}",
                            "gsi1pk": f"TAG#{tag}", "gsi1sk": f"{asset_id}#{number}",
                            **{k: v for k, v in record.items() if k != "features"},
                        })
                    )

    def put_transcript_summary(self, asset_id: str, summary: dict[str, Any]) -> None:
        self.table.update_item(
            Key={"pk": f"ASSET#{asset_id}", "sk": "ASSET"},
            UpdateExpression="SET transcript = :t",
            ExpressionAttributeValues={":t": to_item(summary)},
        )

    def _delete_prefix(self, asset_id: str, prefix: str) -> None:
        query = {"KeyConditionExpression": Key("pk").eq(f"ASSET#{asset_id}") & Key("sk").begins_with(prefix)}
        with self.table.batch_writer() as batch:
            while True:
                page = self.table.query(**query, ProjectionExpression="pk, sk")
                for item in page["Items"]:
                    batch.delete_item(Key={"pk": item["pk"], "sk": item["sk"]})
                if "LastEvaluatedKey" not in page:
                    break
                query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
