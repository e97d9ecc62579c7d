// dibao — online learning player: reports playback to the server, which
// alone decides what counts as watched (issue 5 item 5). Every 10 s while
// playing, and on play, pause, seek and end, it posts {playback, seq,
// position} to the heartbeat URL and shows the progress the server answers.
(function () {
  "use strict";
  var video = document.getElementById("player");
  if (!video) return;
  var url = video.getAttribute("data-heartbeat");
  var pct = document.getElementById("progress-pct");
  var state = document.getElementById("progress-state");
  var errBox = document.getElementById("progress-error");
  // One id per page load: each tab is its own playback on the server.
  var playback = "p" + Date.now().toString(36) + Math.random().toString(36).slice(2, 10);
  var seq = 0;
  var timer = null;
  // The last position seen while not seeking: on a seek, currentTime is
  // already the target, and the time watched since the last report would
  // be lost without it.
  var lastPos = 0;

  function send(pos) {
    if (typeof pos !== "number") pos = video.currentTime || 0;
    var body = JSON.stringify({
      playback: playback,
      seq: seq++,
      position: Math.floor(pos)
    });
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: body
    }).then(function (r) {
      return r.json().then(function (j) { return { ok: r.ok, j: j }; });
    }).then(function (res) {
      if (!res.ok) {
        if (errBox) errBox.textContent = res.j.error || "进度保存失败";
        return;
      }
      if (errBox) errBox.textContent = "";
      if (pct) pct.textContent = res.j.percent + "%";
      if (state && res.j.complete) state.textContent = "已完成";
    }).catch(function () {
      if (errBox) errBox.textContent = "网络异常，进度暂未保存";
    });
  }

  function start() {
    if (timer === null) timer = setInterval(function () { send(); }, 10000);
  }
  function stop() {
    if (timer !== null) {
      clearInterval(timer);
      timer = null;
    }
  }

  video.addEventListener("play", function () { send(); start(); });
  video.addEventListener("pause", function () { stop(); send(); });
  video.addEventListener("timeupdate", function () {
    if (!video.seeking) lastPos = video.currentTime;
  });
  video.addEventListener("seeking", function () { send(lastPos); });
  video.addEventListener("seeked", function () { lastPos = video.currentTime; send(); });
  video.addEventListener("ended", function () { stop(); send(); });
})();
