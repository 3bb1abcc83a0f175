// Reelflow review page: picks how to play the asset, shows the captions, and ties every time on the page to
// the player (transcript, scenes, timeline, trailer segments). No request leaves the page's own folder.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("review-data").textContent);
  var video = document.querySelector("video#player");
  var status = document.getElementById("playing");

  function say(text) { if (status) status.textContent = text; }

  // ---- playback: native HLS, else hls.js (Media Source Extensions), else the proxy ----------------------
  function play() {
    var played = video.play();
    if (played && played.catch) played.catch(function () {});
  }

  // Where the viewer was and whether they had pressed play, taken before a failed ladder is torn down.
  function viewerState() { return { playing: !video.paused, at: video.currentTime }; }

  function playProxy(why, state) {
    var proxy = video.dataset.proxy;
    video.dataset.mode = proxy ? "proxy" : "none";
    if (!proxy) return say("No proxy to fall back on" + (why ? " (" + why + ")" : "") + ".");
    video.src = proxy;
    say("Playing the proxy" + (why ? " (" + why + ")" : "") + ".");
    // A new source starts paused at zero: a viewer who pressed play while the ladder was tried keeps watching.
    if (state && state.at) {
      video.addEventListener("loadedmetadata", function restore() {
        video.removeEventListener("loadedmetadata", restore);
        video.currentTime = state.at;
      });
    }
    if (state && state.playing) play();
  }

  function startPlayback() {
    var hls = video.dataset.hls;
    if (!hls) return playProxy("no HLS ladder");
    // A page opened as a file cannot fetch playlists; the proxy plays from a file.
    if (location.protocol === "file:") return playProxy("opened as a file");
    if (window.Hls && window.Hls.isSupported()) {
      var player = new window.Hls({ enableWorker: true, capLevelToPlayerSize: true });
      player.on(window.Hls.Events.ERROR, function (_, err) {
        if (!err.fatal) return;
        var state = viewerState();
        player.destroy();
        playProxy("the HLS ladder failed: " + err.details, state);
      });
      player.on(window.Hls.Events.MANIFEST_PARSED, function (_, info) {
        say("Playing the HLS ladder (" + info.levels.length + " renditions, adaptive).");
      });
      video.dataset.mode = "hls.js";
      player.loadSource(hls);
      player.attachMedia(video);
      return;
    }
    if (video.canPlayType("application/vnd.apple.mpegurl")) {
      video.dataset.mode = "native-hls";
      video.src = hls;
      video.addEventListener("error", function fallback() {
        video.removeEventListener("error", fallback);
        playProxy("the HLS ladder failed", viewerState());
      });
      say("Playing the HLS ladder (native).");
      return;
    }
    playProxy("this browser plays no HLS");
  }

  // ---- captions: one track from the embedded cues, the same however the video plays ------------------
  function addCaptions() {
    var captions = data.captions;
    if (!captions.cues.length || !window.VTTCue) return;
    var track = video.addTextTrack("captions", captions.label, captions.language);
    captions.cues.forEach(function (c) { track.addCue(new VTTCue(c.start, c.end, c.text)); });
    track.mode = "showing";
    // A player that also reads the ladder's subtitle rendition would show the captions twice.
    video.textTracks.addEventListener("addtrack", function (event) {
      if (event.track !== track) event.track.mode = "disabled";
    });
  }

  function seek(seconds) {
    if (!video || isNaN(seconds)) return;
    video.currentTime = seconds;
    if (video.paused) play();
  }

  if (video) {
    addCaptions();
    startPlayback();
  }

  // ---- anything with data-start in a .seek button or a transcript word seeks --------------------------
  document.addEventListener("click", function (event) {
    var target = event.target.closest(".seek, .word");
    if (!target) return;
    seek(parseFloat(target.dataset.start));
  });

  // ---- timeline: click to seek, playhead follows the video -------------------------------------------
  var svg = document.getElementById("timeline");
  var playhead = document.getElementById("playhead");
  var x0 = svg ? parseFloat(svg.dataset.x0) : 0, x1 = svg ? parseFloat(svg.dataset.x1) : 1;
  var duration = data.duration;
  if (svg) {
    svg.addEventListener("click", function (event) {
      var point = svg.createSVGPoint();
      point.x = event.clientX; point.y = event.clientY;
      var local = point.matrixTransform(svg.getScreenCTM().inverse());
      var share = (local.x - x0) / (x1 - x0);
      if (share >= 0 && share <= 1) seek(share * duration);
    });
  }

  // ---- transcript: follow the playing line; search ----------------------------------------------------
  var lines = Array.prototype.slice.call(document.querySelectorAll("#transcript .cue"));
  var words = Array.prototype.slice.call(document.querySelectorAll("#transcript .word"));
  var current = null;
  if (video) {
    video.addEventListener("timeupdate", function () {
      var t = video.currentTime, found = null;
      for (var i = 0; i < lines.length && parseFloat(lines[i].dataset.start) <= t; i++) found = lines[i];
      if (found && parseFloat(found.dataset.end) < t) found = null;
      if (found !== current) {
        if (current) current.classList.remove("current");
        if (found) found.classList.add("current");
        current = found;
      }
      if (playhead && duration > 0) {
        var x = x0 + (x1 - x0) * Math.min(Math.max(t / duration, 0), 1);
        playhead.setAttribute("x1", x); playhead.setAttribute("x2", x);
      }
    });
  }

  function norm(text) { return text.toLowerCase().replace(/[^\p{L}\p{N}']+/gu, ""); }
  var normalised = words.map(function (w) { return norm(w.textContent); });
  var search = document.getElementById("transcript-search");
  var count = document.getElementById("search-count");
  var matches = [], at = -1;

  function show(index) {
    if (!matches.length) return;
    at = (index + matches.length) % matches.length;
    words.forEach(function (w) { w.classList.remove("at"); });
    var first = words[matches[at]];
    first.classList.add("at");
    first.scrollIntoView({ block: "nearest" });
    count.textContent = (at + 1) + " of " + matches.length;
    seek(parseFloat(first.dataset.start));
  }

  function find(query) {
    var tokens = query.split(/\s+/).map(norm).filter(Boolean);
    words.forEach(function (w) { w.classList.remove("hit", "at"); });
    matches = []; at = -1;
    if (!tokens.length) { count.textContent = ""; return; }
    for (var i = 0; i + tokens.length <= words.length; i++) {
      var ok = tokens.every(function (token, k) {
        var word = normalised[i + k];
        return k === tokens.length - 1 ? word.indexOf(token) === 0 : word === token;
      });
      if (!ok) continue;
      matches.push(i);
      for (var k = 0; k < tokens.length; k++) words[i + k].classList.add("hit");
    }
    count.textContent = matches.length ? matches.length + " found" : "not found";
  }

  if (search) {
    search.addEventListener("input", function () { find(search.value); });
    search.addEventListener("keydown", function (event) {
      if (event.key !== "Enter") return;
      event.preventDefault();
      if (!matches.length) find(search.value);
      show(event.shiftKey ? at - 1 : at + 1);
    });
  }

  // ---- scenes: tag filter -----------------------------------------------------------------------------
  var filter = document.getElementById("tag-filter");
  if (filter) {
    filter.addEventListener("change", function () {
      var tag = filter.value;
      document.querySelectorAll("#scenes > .scene").forEach(function (scene) {
        scene.hidden = Boolean(tag) && scene.dataset.tags.split(" ").indexOf(tag) < 0;
      });
    });
  }
})();
