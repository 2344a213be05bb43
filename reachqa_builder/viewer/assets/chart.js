/* The chart page: chart.html#<n>&<filters> loads data/chart/<n>.js, which calls reachqaChart(detail).
   <filters> is the data page's URL state: previous / next walk that filtered, sorted list (RQL in
   listing.js) and "back to the list" returns to it. */
"use strict";
(function () {
  var el = RQ.el, C = (window.REACHQA_INDEX || {}).charts;
  RQ.nav("data");
  function kv(obj) {
    var dl = el("dl", { class: "kv" });
    Object.keys(obj).forEach(function (k) {
      var v = obj[k];
      if (v === "" || v === null || v === undefined) return;
      dl.appendChild(el("dt", { text: k }));
      dl.appendChild(el("dd", null, RQ.table(v)));
    });
    return dl;
  }
  function raters(prov) {
    var scores = prov.rater_scores, reasons = prov.rater_reasons || {};
    if (!scores || typeof scores !== "object") return null;
    var t = el("table", null, el("caption", { text: "Rater scores" }),
      el("tr", null, el("th", { text: "rater" }), el("th", { class: "num", text: "score" }), el("th", { text: "reason" })));
    Object.keys(scores).forEach(function (m) {
      t.appendChild(el("tr", null, el("td", { text: m }), el("td", { class: "num", text: String(scores[m]) }),
        el("td", { text: reasons[m] || "" })));
    });
    return t;
  }
  window.reachqaChart = function (d) {
    var box = document.getElementById("chart");
    box.textContent = "";
    document.title = d.id + " - reachqa: chart";
    var kind = d.minor || d.major || "chart", firstQ = d.qa.length ? d.qa[0].question : "";
    var alt = kind.charAt(0).toUpperCase() + kind.slice(1) + (firstQ ? ": " + firstQ : "");
    var prov = d.provenance || {}, rest = {};
    Object.keys(prov).forEach(function (k) { if (k !== "rater_scores" && k !== "rater_reasons") rest[k] = prov[k]; });
    var evolved = prov.evolved_from;
    box.appendChild(el("h1", { text: d.id }));
    box.appendChild(el("div", { class: "chart-top" },
      el("div", null, d.image ? el("a", { href: d.image }, el("img", { id: "chart-image", src: d.image, alt: alt }))
                             : el("p", { class: "noimg", text: "no image (the chart was not rendered)" })),
      el("div", null,
        el("h2", { text: "Chart" }),
        kv({ split: d.split, "chart type": d.major, "minor type": d.minor, level: d.level, "plot model": d.plot_model }),
        Object.keys(d.fields || {}).length ? el("div", null, el("h2", { text: "Fields" }), kv(d.fields)) : null,
        el("h2", { text: "Provenance" }),
        Object.keys(prov).length ? el("div", { id: "provenance" }, raters(prov), kv(rest),
          evolved ? el("p", { text: "Evolved from pipeline item " + evolved + " (direction: " + (prov.direction || "?") + ")." }) : null)
          : el("p", { class: "muted", text: "No provenance recorded for this chart." }))));
    box.appendChild(el("h2", { text: "Questions and answers (" + d.qa.length + ")" }));
    var list = el("ol", { id: "qa-list" });
    d.qa.forEach(function (q) {
      list.appendChild(el("li", { class: "qa" },
        el("p", { class: "question" }, q.type ? el("span", { class: "badge", text: q.type }) : null, q.question),
        q.concise ? el("p", null, el("strong", { text: "Concise answer: " }), q.concise) : null,
        el("p", null, el("strong", { text: q.concise ? "Detailed answer: " : "Answer: " }), q.answer),
        el("p", { class: "muted", text: [q.id, q.model].filter(Boolean).join(" \u00b7 ") }),
        Object.keys(q.fields || {}).length ? kv(q.fields) : null));
    });
    box.appendChild(list);
    box.appendChild(el("h2", { text: "Code" }));
    box.appendChild(el("pre", null, el("code", { id: "code", text: d.code })));
    walk(d.n);
  };
  var PAGE = 48;  /* the data page's cards per page, to come back to the page that holds this chart */
  function where() {
    var h = location.hash.slice(1), cut = h.indexOf("&");
    var params = new URLSearchParams(cut < 0 ? "" : h.slice(cut + 1));
    params.delete("page");
    return { n: parseInt(cut < 0 ? h : h.slice(0, cut), 10), params: params };
  }
  /* back link, position and previous / next within the filtered list of the URL */
  function walk(n) {
    var w = where(), state = w.params.toString(), pn = document.getElementById("prevnext"), back = document.getElementById("back");
    var r = RQL.run(function (k) { return w.params.get(k) || ""; }), pos = r.shown.indexOf(n), desc = RQL.describe(w.params);
    var listed = new URLSearchParams(state);
    if (pos >= PAGE) listed.set("page", String(Math.floor(pos / PAGE) + 1));
    back.href = "data.html" + (listed.toString() ? "#" + listed.toString() : "");
    back.textContent = desc.length ? "\u2190 back to the filtered list (" + desc.join(", ") + ")" : "\u2190 all charts";
    pn.textContent = "";
    if (desc.length) pn.appendChild(el("a", { id: "clear", href: "data.html" }, "all charts, filters cleared"));
    var link = function (i, rel, text) {
      return el("a", { href: "#" + i + (state ? "&" + state : ""), rel: rel, class: "step" }, text);
    };
    if (pos < 0) {
      pn.appendChild(el("span", { id: "position", class: "muted", text: "this chart is not in the filtered list" }));
      return;
    }
    if (pos > 0) pn.appendChild(link(r.shown[pos - 1], "prev", "\u2190 previous"));
    pn.appendChild(el("span", { id: "position", text: "chart " + (pos + 1) + " of " + r.shown.length + (desc.length ? " (filtered)" : "") }));
    if (pos + 1 < r.shown.length) pn.appendChild(link(r.shown[pos + 1], "next", "next \u2192"));
  }
  function load() {
    var n = where().n;
    var box = document.getElementById("chart");
    if (isNaN(n) || n < 0 || (C && n >= C.id.length)) { box.textContent = "No such chart: " + location.hash; return; }
    var old = document.getElementById("chart-data");
    if (old) old.remove();
    var s = el("script", { id: "chart-data", src: "data/chart/" + n + ".js" });
    s.onerror = function () { box.textContent = "Could not load data/chart/" + n + ".js"; };
    document.body.appendChild(s);
  }
  window.addEventListener("hashchange", function () { load(); window.scrollTo(0, 0); });
  load();
})();
