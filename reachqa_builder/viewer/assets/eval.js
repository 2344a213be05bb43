/* The evaluation page: accuracy per benchmark, subset and category with 95% intervals (report.json;
   computed from the items where a run has no report), accuracy by chart type and level, and a
   filterable item list whose filters are in the URL. With two runs (reachqa view A --compare B) both are shown side by side, and "changed" lists the
   items whose outcome differs between them. */
"use strict";
(function () {
  var el = RQ.el, E = window.REACHQA_EVAL, runs = E.runs, PAGE = 25;
  RQ.nav("eval");
  /* outcome of one item: "right", "wrong", "invalid" or null (not scored) */
  function outcome(it) {
    if (it.judge === "correct") return "right";
    if (it.judge === "incorrect") return "wrong";
    if (it.judge === "invalid") return "invalid";
    if (it.relaxed === true) return "right";
    if (it.relaxed === false) return "wrong";
    return null;
  }
  function disagree(it) {
    return (it.judge === "correct" || it.judge === "incorrect") && (it.relaxed === true || it.relaxed === false) &&
      (it.judge === "correct") !== it.relaxed;
  }
  function cell(items) {
    var scored = 0, correct = 0, invalid = 0, rel = 0, relOk = 0, both = 0, agree = 0, dis = 0;
    items.forEach(function (it) {
      if (it.judge === "correct" || it.judge === "incorrect") { scored++; if (it.judge === "correct") correct++; }
      else if (it.judge === "invalid") invalid++;
      if (it.relaxed === true || it.relaxed === false) { rel++; if (it.relaxed) relOk++; }
      if ((it.judge === "correct" || it.judge === "incorrect") && (it.relaxed === true || it.relaxed === false)) {
        both++; if ((it.judge === "correct") === it.relaxed) agree++; else dis++;
      }
    });
    /* the paper's accuracy: invalid verdicts count as not correct, over every judged item */
    return { n: items.length, judge: scored + invalid ? correct / (scored + invalid) : null,
             judgeScored: scored ? correct / scored : null, scored: scored, invalid: invalid,
             rule: rel ? relOk / rel : null, agreement: both ? agree / both : null, disagree: dis };
  }
  function groups(items) {
    var out = {};
    items.forEach(function (it) {
      var b = out[it.benchmark] = out[it.benchmark] || { all: [], subsets: {} };
      b.all.push(it);
      (b.subsets[it.subset] = b.subsets[it.subset] || []).push(it);
    });
    return out;
  }
  function accuracyTable(run, idx) {
    var g = groups(run.items), t = el("table", { class: "accuracy", "data-run": idx },
      el("caption", { text: run.label + (run.judged ? "" : " (predictions only: no verdicts)") }),
      el("tr", null, ["benchmark", "subset", "n", "judge acc. %", "over scored %", "scored", "invalid", "rule acc. %", "agreement %", "disagree"]
        .map(function (h, i) { return el("th", { scope: "col", class: i >= 2 ? "num" : null, text: h }); })));
    Object.keys(g).sort().forEach(function (b) {
      var rows = [["all", g[b].all]], subs = Object.keys(g[b].subsets).sort();
      if (subs.length > 1) subs.forEach(function (s) { rows.push([s, g[b].subsets[s]]); });
      rows.forEach(function (r) {
        var c = cell(r[1]);
        t.appendChild(el("tr", { "data-benchmark": b, "data-subset": r[0] }, el("td", { text: b }), el("td", { text: r[0] }),
          el("td", { class: "num", text: String(c.n) }), el("td", { class: "num judge-acc", text: RQ.pct(c.judge) }),
          el("td", { class: "num judge-acc-scored", text: RQ.pct(c.judgeScored) }),
          el("td", { class: "num", text: String(c.scored) }), el("td", { class: "num", text: String(c.invalid) }),
          el("td", { class: "num rule-acc", text: RQ.pct(c.rule) }), el("td", { class: "num", text: RQ.pct(c.agreement) }),
          el("td", { class: "num", text: String(c.disagree) })));
      });
    });
    return t;
  }
  /* a score with its 95% interval, from report.json (through the foundation's reader) */
  function ci(sc) { return sc && sc.ci95 ? "[" + RQ.pct(sc.ci95[0]) + ", " + RQ.pct(sc.ci95[1]) + "]" : "\u2013"; }
  function reportTable(run, idx) {
    var R = run.report, official = R.benchmarks.some(function (b) { return b.rows.some(function (r) { return r.scores.official; }); });
    var heads = ["benchmark", "slice", "n", "charts", "judge acc. %", "95% interval", "invalid", "over scored %", "rule acc. %",
                 "95% interval", "agreement %"];
    if (official) heads.push("own grading %", "95% interval");
    var t = el("table", { class: "accuracy report", "data-run": idx },
      el("caption", { text: run.label + " (report.json; intervals clustered by chart)" }),
      el("tr", null, heads.map(function (h, i) { return el("th", { scope: "col", class: i >= 2 ? "num" : null, text: h }); })));
    R.benchmarks.forEach(function (b) {
      b.rows.forEach(function (r) {
        var s = r.scores, attrs = { "data-benchmark": b.name, "data-group": r.group };
        attrs[r.group === "category" ? "data-category" : "data-subset"] = r.name;
        var cells = [el("td", { text: b.name }), el("td", { text: r.group === "all" ? "all" : r.group + ": " + r.name }),
          el("td", { class: "num", text: String(r.n) }),
          el("td", { class: "num clusters", text: r.clustered_by === "chart" ? String(r.clusters) : "\u2013 (" + r.clustered_by + ")" }),
          el("td", { class: "num judge-acc", text: RQ.pct(s.judge && s.judge.accuracy) }), el("td", { class: "num judge-ci", text: ci(s.judge) }),
          el("td", { class: "num", text: String(r.judge_invalid) }), el("td", { class: "num judge-acc-scored", text: RQ.pct(r.judge_accuracy_scored) }),
          el("td", { class: "num rule-acc", text: RQ.pct(s.relaxed && s.relaxed.accuracy) }), el("td", { class: "num rule-ci", text: ci(s.relaxed) }),
          el("td", { class: "num", text: RQ.pct(r.agreement) })];
        if (official) cells.push(el("td", { class: "num official-acc", text: RQ.pct(s.official && s.official.accuracy) }),
          el("td", { class: "num official-ci", text: ci(s.official) }));
        t.appendChild(el("tr", attrs, cells));
      });
    });
    return t;
  }
  function reportNotes(run) {
    var R = run.report, box = el("div", { class: "report-notes" });
    R.benchmarks.forEach(function (b) {
      if (!b.acc_plus) return;
      var parts = Object.keys(b.acc_plus.scores).map(function (m) {
        var sc = b.acc_plus.scores[m];
        return m + " " + RQ.pct(sc.accuracy) + " % " + ci(sc) + " (n=" + sc.n + ")";
      });
      box.appendChild(el("p", { class: "acc-plus", "data-benchmark": b.name,
        text: b.name + " Acc+ (both statements of a pair right), " + b.acc_plus.pairs + " pairs: " + parts.join("; ") }));
    });
    var u = R.usage;
    if (u) box.appendChild(el("p", { class: "usage muted", text: "Judge usage: " + u.requests + " requests, " + u.cache_hits +
      " from cache, " + u.prompt_tokens + " prompt and " + u.completion_tokens + " completion tokens" +
      (u.cost === null || u.cost === undefined ? " (no price given)" : ", cost " + u.cost.toFixed(4)) + "." }));
    return box;
  }
  var acc = document.getElementById("accuracy"), box = el("div", { class: "compare" });
  runs.forEach(function (r, i) {
    box.appendChild(el("div", null, r.report ? reportTable(r, i) : accuracyTable(r, i), r.report ? reportNotes(r) : null));
  });
  acc.appendChild(box);
  if (runs[0].report && runs[0].report.judge) {
    var fp = runs[0].report.judge;
    acc.appendChild(el("p", { class: "muted", text: "Judge: " + fp.judge_model + ", prompt " + fp.prompt_sha256 +
      ", temperature " + fp.temperature + ". Judge accuracy counts invalid verdicts as not correct (the paper's rule); \"over scored\" leaves them out." }));
  }

  /* accuracy by chart type and by level, computed from the items (the report has no such slices) */
  var DIMS = [["chart_type", "chart type"], ["level", "level"]];
  function sliceTable(run, idx) {
    var t = el("table", { class: "slices", "data-run": idx }, el("caption", { text: run.label }),
      el("tr", null, ["slice", "value", "n", "judge acc. %", "invalid", "rule acc. %"].map(function (h, i) {
        return el("th", { scope: "col", class: i >= 2 ? "num" : null, text: h }); })));
    DIMS.forEach(function (d) {
      var by = {};
      run.items.forEach(function (it) { (by[it[d[0]] || "(unknown)"] = by[it[d[0]] || "(unknown)"] || []).push(it); });
      Object.keys(by).sort().forEach(function (v) {
        var c = cell(by[v]);
        t.appendChild(el("tr", { "data-dim": d[0], "data-value": v }, el("td", { text: d[1] }), el("td", { text: v }),
          el("td", { class: "num", text: String(c.n) }), el("td", { class: "num judge-acc", text: RQ.pct(c.judge) }),
          el("td", { class: "num", text: String(c.invalid) }), el("td", { class: "num rule-acc", text: RQ.pct(c.rule) })));
      });
    });
    return t;
  }
  var sl = document.getElementById("slices"), sbox = el("div", { class: "compare" });
  runs.forEach(function (r, i) { sbox.appendChild(sliceTable(r, i)); });
  sl.appendChild(sbox);

  /* items: run A's items, each with its partner in run B (same benchmark and id) */
  var key = function (it) { return it.benchmark + "\u0000" + it.id; };
  var other = {};
  if (runs.length > 1) runs[1].items.forEach(function (it) { other[key(it)] = it; });
  var items = runs[0].items.map(function (it) {
    var b = other[key(it)] || null, oa = outcome(it), ob = b ? outcome(b) : null;
    return { a: it, b: b, changed: !!(b && oa && ob && oa !== ob), text: (it.question + "\n" + it.prediction).toLowerCase() };
  });
  var nChanged = items.filter(function (x) { return x.changed; }).length;

  /* filters: each select narrows by the values an item has under it; counts per option are items
     that would show with that option and the other filters as they are */
  function shows(x) {
    var it = x.a, o = outcome(it), out = [];
    if (disagree(it)) out.push("disagree");
    if (it.judge === "invalid") out.push("invalid");
    if (o === "wrong" || o === "right") out.push(o);
    if (x.changed) {
      out.push("changed");
      if (o === "wrong" && outcome(x.b) === "right") out.push("fixed");
      if (o === "right" && outcome(x.b) === "wrong") out.push("broke");
    }
    return out;
  }
  var all = runs[0].items, uniqOf = function (k) { return RQ.uniq(all.map(function (i) { return i[k] || ""; })); };
  var showOpts = [["disagree", "judge and rule disagree"], ["invalid", "invalid (no judge verdict)"], ["wrong", "wrong"], ["right", "right"]];
  if (runs.length > 1) showOpts.push(["changed", "changed between runs (" + nChanged + ")"], ["fixed", "wrong in A, right in B"],
    ["broke", "right in A, wrong in B"]);
  var FILTERS = [
    { key: "bench", id: "f-bench", label: "Benchmark", opts: uniqOf("benchmark"), of: function (x) { return [x.a.benchmark]; } },
    { key: "subset", id: "f-subset", label: "Subset", opts: uniqOf("subset"), of: function (x) { return [x.a.subset]; } },
    { key: "type", id: "f-type", label: "Chart type", opts: uniqOf("chart_type"), of: function (x) { return [x.a.chart_type || ""]; } },
    { key: "level", id: "f-level", label: "Level", opts: uniqOf("level"), of: function (x) { return [x.a.level || ""]; } },
    { key: "show", id: "f-show", label: "Show", opts: showOpts, all: "all items", of: shows }];
  var form = document.getElementById("filters");
  form.appendChild(el("label", { for: "q" }, "Search", el("input", { type: "search", id: "q", name: "q", placeholder: "question or prediction" })));
  FILTERS.forEach(function (f) {
    var lab = RQ.select(f.label, f.id, f.opts, f.all, f.key);
    f.select = lab.querySelector("select");
    form.appendChild(lab);
  });
  form.appendChild(el("button", { type: "reset", id: "reset" }, "Clear filters"));

  function filter() {
    var q = form.elements.q.value.trim().toLowerCase(), shown = [], counts = FILTERS.map(function () { return {}; });
    var wanted = FILTERS.map(function (f) { return f.select.value; });
    items.forEach(function (x) {
      if (q && x.text.indexOf(q) < 0) return;
      var vals = FILTERS.map(function (f) { return f.of(x); }), fails = 0, which = -1;
      wanted.forEach(function (w, i) { if (w !== "" && vals[i].indexOf(w) < 0) { fails++; which = i; } });
      if (!fails) shown.push(x);
      if (fails > 1) return;
      vals.forEach(function (vs, i) {
        if (fails && which !== i) return;
        vs.forEach(function (v) { counts[i][v] = (counts[i][v] || 0) + 1; });
      });
    });
    FILTERS.forEach(function (f, i) { RQ.counts(f.select, counts[i]); });
    return shown;
  }
  function badge(label, v) {
    var cls = v === "correct" || v === true ? "ok" : v === "incorrect" || v === false ? "bad" : "warn";
    var txt = v === true ? "right" : v === false ? "wrong" : v;
    return v === null || v === undefined ? null : el("span", { class: "badge " + cls, "data-verdict": label }, label + ": " + txt);
  }
  function side(it, label) {
    return el("div", { class: "side" }, el("h3", { text: label + (it.model ? " \u00b7 " + it.model : "") }),
      el("p", null, badge("judge", it.judge), badge("rule", it.relaxed)),
      el("p", null, el("strong", { text: "Prediction: " }), it.prediction),
      it.extracted ? el("p", null, el("strong", { text: "Extracted: " }), it.extracted) : null,
      it.analysis ? el("details", null, el("summary", { text: "Judge's analysis" }), el("p", { text: it.analysis })) : null,
      it.error ? el("p", { class: "muted", text: "Judge error: " + it.error }) : null);
  }
  function item(x) {
    var it = x.a, alt = "Chart for: " + it.question;
    return el("li", { class: "item", "data-id": it.id, "data-benchmark": it.benchmark },
      el("div", null, it.thumb ? el("a", { href: it.image }, el("img", { src: it.thumb, alt: alt, loading: "lazy" }))
                               : el("div", { class: "noimg", role: "img", "aria-label": alt }, "no image")),
      el("div", null,
        el("p", { class: "muted", text: [it.benchmark, it.subset, it.chart_type, it.level, it.id].filter(Boolean).join(" \u00b7 ") +
          (x.changed ? " \u00b7 changed" : "") }),
        el("p", null, el("strong", { text: "Question: " }), it.question),
        el("p", null, el("strong", { text: "Reference: " }), it.answer),
        el("div", { class: "cols" }, side(it, runs.length > 1 ? "A" : "Prediction"),
          x.b ? side(x.b, "B") : (runs.length > 1 ? el("div", { class: "side muted", text: "not in run B" }) : null))));
  }
  function status(box, shown, ms) {
    box.appendChild(el("span", { id: "count-items", text: String(shown.length) }));
    box.appendChild(document.createTextNode(" of " + items.length + " items" + RQ.filtered(ms)));
  }
  RQ.pagedList({ list: document.getElementById("items"), size: PAGE, filter: filter, draw: item, status: status,
                 keys: ["q"].concat(FILTERS.map(function (f) { return f.key; })) });
})();
