// dibao — the exam page (issue 6): counts down to the server's deadline,
// autosaves every answer as it changes, records leaving the page in a
// closed-book exam, and reloads at the deadline so that the server (which
// alone decides; it has auto-submitted) shows the result. Without this
// script the form still submits every answer with the 交卷 button.
(function () {
  "use strict";
  var form = document.getElementById("exam-form");
  var clock = document.getElementById("exam-deadline");
  if (!form || !clock) return;
  var state = document.getElementById("exam-save-state");
  var saveURL = form.getAttribute("data-save");
  var leaveURL = form.getAttribute("data-leave");
  var closedBook = form.getAttribute("data-closed-book") === "true";
  var deadline = Date.parse(clock.getAttribute("data-deadline"));
  var over = false;

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify(body || {})
    }).then(function (r) {
      return r.json().then(function (j) { return { ok: r.ok, j: j }; });
    });
  }

  function show(msg) { if (state) state.textContent = msg; }

  function values(n) {
    var out = [];
    var inputs = form.querySelectorAll('[name="q-' + n + '"]');
    for (var i = 0; i < inputs.length; i++) {
      var el = inputs[i];
      if (el.type === "radio" || el.type === "checkbox") {
        if (el.checked) out.push(el.value);
      } else {
        out.push(el.value);
      }
    }
    return out;
  }

  function save(n) {
    if (over) return;
    show("正在保存…");
    post(saveURL + n, { values: values(n) }).then(function (res) {
      show(res.ok ? "已自动保存" : (res.j.error || "保存失败"));
    }).catch(function () {
      show("网络异常，答案暂未保存；恢复后修改答案会再次保存，交卷时也会一并提交");
    });
  }

  var timers = {};
  function onChange(e) {
    var name = e.target && e.target.name;
    if (!name || name.indexOf("q-") !== 0) return;
    var n = name.slice(2);
    clearTimeout(timers[n]);
    // Text answers wait for a pause in typing; choices save at once.
    timers[n] = setTimeout(function () { save(n); }, e.type === "input" ? 800 : 0);
  }
  form.addEventListener("change", onChange);
  form.addEventListener("input", onChange);

  var lastLeave = 0;
  function left() {
    if (!closedBook || over) return;
    var now = Date.now();
    if (now - lastLeave < 2000) return; // blur and visibilitychange come together
    lastLeave = now;
    post(leaveURL, {}).catch(function () {});
  }
  if (closedBook) {
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") left();
    });
    window.addEventListener("blur", left);
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function tick() {
    var remain = Math.max(0, Math.floor((deadline - Date.now()) / 1000));
    clock.textContent = Math.floor(remain / 3600) + ":" + pad(Math.floor(remain / 60) % 60) + ":" + pad(remain % 60);
    if (remain === 0 && !over) {
      over = true;
      clock.textContent = "考试时间到，已自动交卷";
      // The server submits at the deadline; a second later the page shows it.
      setTimeout(function () { window.location.reload(); }, 1500);
    }
  }
  if (!isNaN(deadline)) {
    tick();
    setInterval(tick, 1000);
  }
})();
