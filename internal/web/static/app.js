// dibao — small enhancements only; every flow also works without JavaScript.
(function () {
  "use strict";

  // Confirm dialogs for destructive actions.
  document.addEventListener("submit", function (e) {
    var f = e.target;
    var msg = f.getAttribute && f.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) {
      e.preventDefault();
    }
  });

  // Back buttons on error pages.
  document.addEventListener("click", function (e) {
    var b = e.target.closest && e.target.closest(".js-back");
    if (b) {
      e.preventDefault();
      history.back();
    }
  });

  // Demo accounts: click a username to fill the login form.
  document.addEventListener("click", function (e) {
    var b = e.target.closest && e.target.closest(".demo-fill");
    if (!b) return;
    var u = document.getElementById("username");
    var p = document.getElementById("password");
    if (u && p) {
      u.value = b.getAttribute("data-username");
      p.value = b.getAttribute("data-password");
      p.focus();
    }
  });

  // Member rows of the household form: add and remove client-side, keeping
  // element ids (member_name_0, member_name_1, …) in row order.
  var members = document.getElementById("members");
  var tpl = document.getElementById("member-template");
  function renumber() {
    var rows = members.querySelectorAll("[data-row]");
    rows.forEach(function (row, i) {
      row.querySelectorAll("[id]").forEach(function (el) {
        el.id = el.id.replace(/_(\d+|__N__)$/, "_" + i);
      });
      row.querySelectorAll("label[for]").forEach(function (el) {
        el.htmlFor = el.htmlFor.replace(/_(\d+|__N__)$/, "_" + i);
      });
      var num = row.querySelector("[data-num]");
      if (num) num.textContent = String(i + 1);
      var rm = row.querySelector("[data-remove]");
      if (rm) rm.value = "remove_member:" + i;
    });
  }
  if (members && tpl) {
    var add = document.getElementById("add-member");
    if (add) {
      add.addEventListener("click", function (e) {
        e.preventDefault();
        if (members.querySelectorAll("[data-row]").length >= 30) {
          window.alert("家庭成员不能超过30人");
          return;
        }
        var node = tpl.content.firstElementChild.cloneNode(true);
        members.appendChild(node);
        renumber();
        var name = node.querySelector("input[name=member_name]");
        if (name) name.focus();
      });
    }
    members.addEventListener("click", function (e) {
      var rm = e.target.closest("[data-remove]");
      if (!rm) return;
      e.preventDefault();
      var row = rm.closest("[data-row]");
      var name = row.querySelector("input[name=member_name]");
      var who = name && name.value ? "“" + name.value + "”" : "该成员";
      if (window.confirm("确定删除" + who + "吗？保存后生效。")) {
        row.remove();
        renumber();
      }
    });
  }

  // Reveal buttons: fetch the value in place instead of reloading the page.
  document.addEventListener("submit", function (e) {
    var f = e.target;
    if (!f.classList || !f.classList.contains("reveal-form") || !window.fetch) return;
    e.preventDefault();
    var btn = f.querySelector("button");
    if (btn) btn.disabled = true;
    fetch(f.action, {
      method: "POST",
      body: new URLSearchParams(new FormData(f)),
      headers: { "Accept": "application/json" },
      credentials: "same-origin"
    }).then(function (r) {
      return r.json().then(function (j) { return { ok: r.ok, j: j }; });
    }).then(function (res) {
      if (!res.ok) {
        window.alert(res.j.error || "查看失败");
        if (btn) btn.disabled = false;
        return;
      }
      var cell = f.parentNode;
      var shown = cell.querySelector(".mono") || cell.querySelector(".muted");
      if (shown) {
        shown.textContent = res.j.value;
        shown.classList.add("revealed");
      }
      var note = document.createElement("span");
      note.className = "audit-note";
      note.textContent = " " + res.j.note;
      f.replaceWith(note);
    }).catch(function () {
      window.alert("网络错误，请稍后重试");
      if (btn && btn.getAttribute("data-label")) {
        btn.disabled = false;
        btn.textContent = btn.getAttribute("data-label");
      }
    });
  });
  // Case action, materials and upload forms: one click submits once. The
  // server also de-duplicates by the form's idempotency key.
  document.addEventListener("submit", function (e) {
    var f = e.target;
    if (e.defaultPrevented || !f.matches || !f.matches(".opt-form, #materials-form, #upload-form, #apply-form")) return;
    var btn = f.querySelector("button[type=submit]");
    if (!btn) return;
    if (f.getAttribute("data-sent")) {
      e.preventDefault();
      return;
    }
    f.setAttribute("data-sent", "1");
    window.setTimeout(function () {
      btn.setAttribute("data-label", btn.textContent);
      btn.disabled = true;
      btn.textContent = "正在提交…";
    }, 0);
  });

  // Coming back through the browser's history shows the page as it was
  // left; make its forms usable again.
  window.addEventListener("pageshow", function (e) {
    if (!e.persisted) return;
    document.querySelectorAll("form[data-sent]").forEach(function (f) {
      f.removeAttribute("data-sent");
      var btn = f.querySelector("button[type=submit]");
      if (btn && btn.getAttribute("data-label")) {
        btn.disabled = false;
        btn.textContent = btn.getAttribute("data-label");
      }
    });
  });

  // A form re-shown with errors on the long case page: bring it into view.
  var failed = document.querySelector(".opt-failed, #materials-form .alert-error, #upload-form .alert-error, #apply-form .alert-error");
  if (failed && failed.scrollIntoView) {
    failed.scrollIntoView({ block: "start" });
  }

  // Materials checklist: mark every item as complete in one click.
  var allOK = document.getElementById("materials-all-ok");
  if (allOK) {
    allOK.hidden = false;
    allOK.addEventListener("click", function () {
      document.querySelectorAll("#materials-form input[type=radio][value=ok]").forEach(function (r) {
        r.checked = true;
      });
    });
  }

  // The application form: the relative rows matter only when the answer is
  // "有近亲属".
  var relRows = document.getElementById("relative-rows");
  if (relRows) {
    var sync = function () {
      var some = document.getElementById("rel-some");
      relRows.hidden = !(some && some.checked);
    };
    document.addEventListener("change", function (e) {
      if (e.target && e.target.name === "relatives") sync();
    });
    sync();
  }
})();
