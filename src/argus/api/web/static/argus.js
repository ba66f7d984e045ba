// Argus dashboard: a little vanilla JavaScript. Filters submit on change; the project picker navigates;
// the live panel listens to the page's Server-Sent Events stream of new insights (no reload).
(function () {
  "use strict";
  document.querySelectorAll("[data-autosubmit]").forEach(function (el) {
    el.addEventListener("change", function () { el.form.submit(); });
  });
  var picker = document.querySelector("[data-nav=project]");
  if (picker) {
    picker.addEventListener("change", function () { window.location.href = "/p/" + encodeURIComponent(picker.value); });
  }
  var url = document.body.getAttribute("data-live");
  var list = document.getElementById("live-list");
  if (!url || !list || !window.EventSource) { return; }
  var project = document.body.getAttribute("data-project");
  var state = document.getElementById("live-state");
  var source = null;
  function onInsight(ev) {
    var ins;
    try { ins = JSON.parse(ev.data); } catch (e) { return; }
    var empty = document.getElementById("live-empty");
    if (empty) { empty.remove(); }
    var li = document.createElement("li");
    li.className = "fresh";
    li.setAttribute("data-insight", String(ins.id));
    var a = document.createElement("a");
    var base = "/p/" + encodeURIComponent(project);
    if (ins.subject_type === "test") {
      a.href = base + "/tests/find?identity=" + encodeURIComponent(ins.subject_id);
    } else if (ins.review_tier !== "autonomous") {
      a.href = base + "/review#insight-" + ins.id;
    } else {
      a.href = base;
    }
    a.textContent = ins.title;
    var meta = document.createElement("div");
    meta.className = "muted small";
    meta.textContent = ins.kind + " · confidence " + Number(ins.confidence).toFixed(2) + " · " + ins.review_tier;
    li.appendChild(a);
    li.appendChild(meta);
    list.insertBefore(li, list.firstChild);
    while (list.children.length > 20) { list.removeChild(list.lastChild); }
  }
  function connect() {
    source = new EventSource(url);
    source.onopen = function () { state.classList.add("on"); state.title = "connected"; document.body.setAttribute("data-live-ready", "1"); };
    source.onerror = function () { state.classList.remove("on"); state.title = "reconnecting"; };
    source.addEventListener("insight", onInsight);
  }
  // Close the stream when the page is left: a browser may keep a left page (back/forward cache) with its
  // stream open for a minute, and with six connections per host over HTTP/1.1 a few pages' streams would
  // stall every next page. Reconnect when such a page is shown again.
  window.addEventListener("pagehide", function () { if (source) { source.close(); source = null; } });
  window.addEventListener("pageshow", function (ev) { if (ev.persisted && !source) { connect(); } });
  connect();
})();
