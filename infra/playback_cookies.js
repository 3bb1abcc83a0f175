// cloudfront-js-2.0, viewer response (infra/playback.py). It runs after CloudFront has checked the request's
// signature, so the values it copies are ones CloudFront accepted: a signed URL's Policy, Signature and
// Key-Pair-Id become the signed cookies CloudFront reads, for the asset's folder (/assets/<asset_id>/), so the
// relative requests a player makes next (variant playlists, segments, subtitles) are signed too. Session
// cookies: the policy inside them carries its own expiry. reelflow/local/playback.py does the same locally.
function handler(event) {
  var query = event.request.querystring;
  var response = event.response;
  var names = {"Policy": "CloudFront-Policy", "Signature": "CloudFront-Signature", "Key-Pair-Id": "CloudFront-Key-Pair-Id"};
  var parts = event.request.uri.split("/");
  if (!(query["Policy"] && query["Signature"] && query["Key-Pair-Id"]) || parts.length < 4
      || parts[1] !== "assets" || parts[2] === "") {
    return response;
  }
  var attributes = "Path=/" + parts[1] + "/" + parts[2] + "/; Secure; HttpOnly; SameSite=None";
  for (var name in names) {
    response.cookies[names[name]] = {value: query[name].value, attributes: attributes};
  }
  return response;
}
