/* The synthesis report: kept and dropped per stage and reason, with examples of each drop. */
"use strict";
(function () {
  var el = RQ.el, S = window.REACHQA_SYNTHESIS, box = document.getElementById("report");
  RQ.nav("synthesis");
  document.getElementById("source").textContent = "Source: " + S.source;
  var t = el("table", { id: "stages" }, el("caption", { text: "Items per stage" }),
    el("tr", null, ["stage", "kept", "dropped", "reasons"].map(function (h, i) {
      return el("th", { scope: "col", class: i === 1 || i === 2 ? "num" : null, text: h }); })));
  S.stages.forEach(function (s) {
    var reasons = Object.keys(s.dropped), n = reasons.reduce(function (a, r) { return a + s.dropped[r]; }, 0);
    t.appendChild(el("tr", { "data-stage": s.stage }, el("td", { text: s.stage }), el("td", { class: "num kept", text: String(s.ok) }),
      el("td", { class: "num dropped", text: String(n) }),
      el("td", null, reasons.length ? reasons.map(function (r) {
        return el("a", { href: "#drop-" + s.stage + "-" + r, style: "margin-right:.6rem" }, r + " = " + s.dropped[r]); }) : "\u2013")));
  });
  box.appendChild(t);
  var o = S.output || {};
  if (S.output) box.appendChild(el("p", { id: "output", text: "Output: " + o.charts + " charts" +
    (S.target_charts ? " of " + S.target_charts + " wanted" : "") + ", " + o.qa_pairs + " Q&A pairs" +
    (S.not_output ? "; " + S.not_output + " checked charts beyond the target were not written" : "") + "." }));
  box.appendChild(el("h2", { text: "Q&A pairs dropped" }));
  box.appendChild(el("ul", { id: "pairs" },
    el("li", { text: "near-duplicate questions (ROUGE-L, qa stage): " + S.pairs.duplicate +
      " (counted by the pipeline; their text is not journaled, so no examples)" }),
    el("li", { text: "rejected by the raters (check stage): " + S.pairs.rejected })));
  if (S.pairs.rejected_examples.length) {
    var ul = el("ul", { id: "rejected-examples" });
    S.pairs.rejected_examples.forEach(function (p) {
      ul.appendChild(el("li", null, el("strong", { text: p.id + " (" + p.QA_type + "): " }), p.question, el("br"),
        el("span", { class: "muted", text: "Answer: " + p.answer })));
    });
    box.appendChild(el("h3", { text: "Examples of rejected pairs" }));
    box.appendChild(ul);
  }
  S.stages.forEach(function (s) {
    Object.keys(s.examples).forEach(function (r) {
      var sec = el("section", { id: "drop-" + s.stage + "-" + r, class: "drop", "aria-label": s.stage + ": " + r },
        el("h2", { text: s.stage + ": " + r + " (" + s.dropped[r] + ")" }));
      s.examples[r].forEach(function (ex) {
        var kind = ex.minor_chart_type || ex.major_chart_type || "chart";
        sec.appendChild(el("div", { class: "item" },
          el("div", null, ex.thumb ? el("a", { href: ex.image }, el("img", { src: ex.thumb, alt: kind + " " + ex.id })) :
            el("div", { class: "noimg", role: "img", "aria-label": "no image for " + ex.id }, "no image")),
          el("div", null, el("p", null, el("strong", { text: ex.id }), " \u00b7 " + [ex.level, kind].filter(Boolean).join(" \u00b7 ")),
            el("p", null, el("strong", { text: "Why: " }), ex.detail || ex.reason),
            ex.code ? el("details", null, el("summary", { text: "Code" }), el("pre", { text: ex.code })) : null,
            ex.provenance ? el("details", null, el("summary", { text: "Provenance" }), RQ.table(ex.provenance)) : null)));
      });
      box.appendChild(sec);
    });
  });
  if (S.api) box.appendChild(el("p", { class: "muted", text: "API: " + S.api.requests + " requests, " + S.api.cache_hits +
    " cache hits, " + S.api.failures + " failures, " + (S.api.prompt_tokens + S.api.completion_tokens) + " tokens." }));
})();
