// callqa review app: every element with data-seek plays the call's audio from that second.
(function () {
  "use strict";
  var audio = document.getElementById("call-audio");
  if (!audio) return;

  function play() {
    var played = audio.play();
    if (played && played.catch) played.catch(function () { /* playback refused: the position is still set */ });
  }

  function seek(seconds, src, label) {
    var t = Math.max(0, parseFloat(seconds) || 0);
    // The audit page has one player for many calls: switch recordings first.
    if (src && audio.getAttribute("src") !== src) {
      audio.setAttribute("src", src);
      audio.addEventListener("loadedmetadata", function () { audio.currentTime = t; play(); }, { once: true });
      audio.load();
    } else {
      audio.currentTime = t;
      play();
    }
    var note = document.getElementById("now-playing");
    if (note && label) note.textContent = "Playing " + label;
  }

  document.addEventListener("click", function (event) {
    var el = event.target.closest("[data-seek]");
    if (!el || event.target.closest("form, a")) return;
    event.preventDefault();
    seek(el.getAttribute("data-seek"), el.getAttribute("data-src"), el.getAttribute("data-label"));
  });

  // Keep the segment being heard outlined, so the reader follows the audio.
  var segments = Array.prototype.slice.call(document.querySelectorAll(".seg[data-start]"));
  var current = null;
  audio.addEventListener("timeupdate", function () {
    var t = audio.currentTime, found = null;
    for (var i = 0; i < segments.length; i++) {
      var s = segments[i];
      if (t >= parseFloat(s.dataset.start) && t < parseFloat(s.dataset.end)) { found = s; break; }
    }
    if (found === current) return;
    if (current) current.classList.remove("playing");
    if (found) found.classList.add("playing");
    current = found;
  });

  // #t=12.5 in the address opens the call at that second.
  var m = /[#&]t=([0-9.]+)/.exec(location.hash);
  if (m) audio.addEventListener("loadedmetadata", function () { audio.currentTime = parseFloat(m[1]); }, { once: true });
})();
