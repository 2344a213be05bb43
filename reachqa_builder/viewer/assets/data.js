/* The data page: a paged grid of chart thumbnails, filtered in the page over a compact index. */
"use strict";
(function () {
  var el = RQ.el, D = window.REACHQA_INDEX, C = D.charts, Q = D.qa;
  var PAGE = parseInt((location.search.match(/[?&]page_size=(\d+)/) || [0, "48"])[1], 10) || 48;  /* cards per page */
  var nCharts = C.id.length, nQA = Q.q.length;
  var qLower = Q.q.map(function (s) { return s.toLowerCase(); });
  var found = { first: null, matches: null, nq: 0 };  /* of the last filtering: each chart's first Q&A and count */
  RQ.nav("data");
  document.getElementById("source").textContent = "Source: " + D.source + " \u00b7 " + nCharts + " charts, " + nQA + " Q&A";

  var form = document.getElementById("filters");
  form.appendChild(el("label", { for: "q" }, "Search questions",
    el("input", { type: "search", id: "q", name: "q", placeholder: "words in a question", autocomplete: "off" })));
  form.appendChild(RQ.select("Split", "f-split", RQ.uniq(C.split)));
  form.appendChild(RQ.select("Chart type", "f-major", RQ.uniq(C.major)));
  form.appendChild(RQ.select("Minor type", "f-minor", RQ.uniq(C.minor)));
  form.appendChild(RQ.select("Level", "f-level", RQ.uniq(C.level)));
  if (nQA) form.appendChild(RQ.select("Q&A type", "f-qatype", RQ.uniq(Q.type)));
  function facetInputs(facets, prefix) {
    Object.keys(facets).forEach(function (name, i) {
      var f = facets[name], id = prefix + i, label = name.replace(/^provenance\./, "");
      if (f.kind === "choice") form.appendChild(RQ.select(label, id, f.values));
      else form.appendChild(el("label", { for: id }, label + " \u2265",
        el("input", { type: "number", id: id, step: "any", min: f.min, max: f.max, placeholder: String(f.min) })));
    });
  }
  facetInputs(D.chart_facets, "cf-");
  facetInputs(D.qa_facets, "qf-");
  form.appendChild(el("button", { type: "reset", id: "reset" }, "Clear filters"));

  function val(id) { var n = document.getElementById(id); return n ? n.value : ""; }
  function facetTests(facets, cols, prefix) {
    var tests = [];
    Object.keys(facets).forEach(function (name, i) {
      var v = val(prefix + i), f = facets[name], col = cols[name];
      if (v === "") return;
      if (f.kind === "choice") tests.push(function (k) { return col[k] === v; });
      else { var t = parseFloat(v); if (!isNaN(t)) tests.push(function (k) { return col[k] !== null && col[k] >= t; }); }
    });
    return tests;
  }

  function filter() {
    var split = val("f-split"), major = val("f-major"), minor = val("f-minor"), level = val("f-level");
    var qtype = val("f-qatype"), text = val("q").trim().toLowerCase();
    var ctests = facetTests(D.chart_facets, C.fields, "cf-"), qtests = facetTests(D.qa_facets, Q.fields, "qf-");
    var chartOk = new Uint8Array(nCharts), i, j;
    for (i = 0; i < nCharts; i++) {
      if (split && C.split[i] !== split || major && C.major[i] !== major || minor && C.minor[i] !== minor ||
          level && C.level[i] !== level) continue;
      var ok = true;
      for (j = 0; j < ctests.length && ok; j++) ok = ctests[j](i);
      chartOk[i] = ok ? 1 : 0;
    }
    var qaActive = !!(text || qtype || qtests.length);
    var matches = new Uint32Array(nCharts), first = new Int32Array(nCharts).fill(-1), nq = 0;
    for (i = 0; i < nQA; i++) {
      var c = Q.chart[i];
      if (!chartOk[c]) continue;
      if (qtype && Q.type[i] !== qtype) continue;
      if (text && qLower[i].indexOf(text) < 0) continue;
      var qok = true;
      for (j = 0; j < qtests.length && qok; j++) qok = qtests[j](i);
      if (!qok) continue;
      matches[c]++; nq++;
      if (first[c] < 0) first[c] = i;
    }
    var shown = [];
    for (i = 0; i < nCharts; i++) if (chartOk[i] && (!qaActive || matches[i] > 0)) shown.push(i);
    found = { first: first, matches: matches, nq: nq };
    return shown;
  }

  function card(i) {
    var q = found.first[i] >= 0 ? Q.q[found.first[i]] : "";
    var kind = C.minor[i] || C.major[i] || "chart";
    var alt = (kind.charAt(0).toUpperCase() + kind.slice(1)) + (q ? ": " + q : "");
    var img = C.thumb[i] ? el("img", { src: C.thumb[i], alt: alt, loading: "lazy", width: 360, height: 270 })
                         : el("div", { class: "noimg", role: "img", "aria-label": alt }, "no image");
    return el("li", null, el("a", { class: "card", href: "chart.html#" + i, "data-chart": C.id[i] }, img,
      el("div", { class: "meta" }, [C.split[i], C.major[i], C.level[i]].filter(Boolean).join(" \u00b7 ") +
        " \u00b7 " + (found.matches[i] || C.nqa[i]) + " Q&A"),
      q ? el("div", { class: "q", text: q }) : null));
  }

  function status(box, shown, ms) {
    box.appendChild(el("span", { id: "count-charts", text: String(shown.length) }));
    box.appendChild(document.createTextNode(" charts, "));
    box.appendChild(el("span", { id: "count-qa", text: String(found.nq) }));
    box.appendChild(document.createTextNode(" Q&A match" + RQ.filtered(ms)));
  }

  RQ.pagedList({ list: document.getElementById("results"), size: PAGE, filter: filter, draw: card, status: status });
})();
