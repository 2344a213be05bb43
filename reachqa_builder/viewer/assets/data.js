/* The data page: a paged grid of chart thumbnails, filtered and sorted in the page over a compact
   index (the list itself is RQL in listing.js; the filters and the page are in the URL). */
"use strict";
(function () {
  var el = RQ.el, D = window.REACHQA_INDEX, C = D.charts, Q = D.qa;
  var PAGE = parseInt((location.search.match(/[?&]page_size=(\d+)/) || [0, "48"])[1], 10) || 48;  /* cards per page */
  var nCharts = C.id.length, nQA = Q.q.length;
  var found = { first: null, matches: null, nq: 0 };  /* of the last filtering: each chart's first Q&A and count */
  RQ.nav("data");
  document.getElementById("source").textContent = "Source: " + D.source + " \u00b7 " + nCharts + " charts, " + nQA + " Q&A";

  var form = document.getElementById("filters"), selects = {};
  form.appendChild(el("label", { for: "q" }, "Search questions",
    el("input", { type: "search", id: "q", name: "q", placeholder: "words in a question", autocomplete: "off" })));
  RQL.filters.forEach(function (f) {
    var label = f.label + (f.level === "qa" && f.key !== "qa" ? " (Q&A)" : "");
    if (f.kind === "number") {
      form.appendChild(el("label", { for: f.id }, label + " \u2265",
        el("input", { type: "number", id: f.id, name: f.key, step: "any", min: f.min, max: f.max, placeholder: String(f.min) })));
    } else {
      var box = RQ.select(label, f.id, f.options, "all", f.key);
      selects[f.key] = box.querySelector("select");
      form.appendChild(box);
    }
  });
  form.appendChild(RQ.select("Sort", "sort", RQL.sorts.map(function (s) { return [s[0], s[1]]; }), null, "sort"));
  document.getElementById("sort").options[0].remove();  /* "dataset order" is the first sort, not "all" */
  form.appendChild(el("button", { type: "reset", id: "reset" }, "Clear filters"));

  function get(key) { var c = form.elements[key]; return c ? c.value : ""; }
  function filter() {
    var r = RQL.run(get);
    found = r;
    Object.keys(selects).forEach(function (k) { RQ.counts(selects[k], r.counts[k]); });
    return r.shown;
  }

  var tagFilters = RQL.filters.filter(function (f) { return f.level === "chart" && f.kind === "tags"; });
  function card(i, state) {
    var q = found.first[i] >= 0 ? Q.q[found.first[i]] : "";
    var kind = C.minor[i] || C.major[i] || "chart";
    var alt = (kind.charAt(0).toUpperCase() + kind.slice(1)) + (q ? ": " + q : "");
    var img = C.thumb[i] ? el("img", { src: C.thumb[i], alt: alt, loading: "lazy", width: 360, height: 270 })
                         : el("div", { class: "noimg", role: "img", "aria-label": alt }, "no image");
    var flags = tagFilters.map(function (f) { return f.col[i] && f.col[i].length ? f.label + ": " + f.col[i].join(", ") : ""; })
      .filter(Boolean).join("; ");
    return el("li", null, el("a", { class: "card", href: "chart.html#" + i + (state ? "&" + state : ""), "data-chart": C.id[i] }, img,
      el("div", { class: "meta" }, [C.split[i], C.major[i], C.level[i]].filter(Boolean).join(" \u00b7 ") +
        " \u00b7 " + (found.matches[i] || C.nqa[i]) + " Q&A"),
      flags ? el("div", { class: "meta flags", text: flags }) : null,
      q ? el("div", { class: "q", text: q }) : null));
  }

  function status(box, shown, ms) {
    box.appendChild(el("span", { id: "count-charts", text: String(shown.length) }));
    box.appendChild(document.createTextNode(" charts, "));
    box.appendChild(el("span", { id: "count-qa", text: String(found.nq) }));
    box.appendChild(document.createTextNode(" Q&A match" + RQ.filtered(ms)));
  }

  RQ.pagedList({ list: document.getElementById("results"), size: PAGE, filter: filter, draw: card, status: status,
                 keys: RQL.keys() });
})();
