// Standard change page: while the change is being applied, poll its
// progress every second and move the bar; reload when it has finished so
// the page shows the summary. Without JavaScript a meta refresh does this.
(function () {
  'use strict';
  var bar = document.getElementById('progress');
  if (!bar) { return; }
  var text = document.getElementById('progress-text');
  var url = bar.getAttribute('data-url');
  function tick() {
    fetch(url, { credentials: 'same-origin', headers: { 'Accept': 'application/json' } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (p) {
        if (!p) { setTimeout(tick, 3000); return; }
        bar.max = p.total;
        bar.value = p.done;
        bar.setAttribute('data-done', p.done);
        bar.setAttribute('data-total', p.total);
        if (text) { text.textContent = p.done + '/' + p.total; }
        if (p.status !== 'applying') { window.location.reload(); return; }
        setTimeout(tick, 1000);
      })
      .catch(function () { setTimeout(tick, 3000); });
  }
  setTimeout(tick, 1000);
})();
