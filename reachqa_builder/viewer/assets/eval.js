/* The evaluation page: accuracy per benchmark and subset (judge and rule), and a filterable item list.
   With two runs (reachqa view A --compare B) both are shown side by side, and "changed" lists the
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
  var acc = document.getElementById("accuracy"), box = el("div", { class: "compare" });
  runs.forEach(function (r, i) { box.appendChild(accuracyTable(r, i)); });
  acc.appendChild(box);
  if (runs[0].report && runs[0].report.judge) {
    var fp = runs[0].report.judge;
    acc.appendChild(el("p", { class: "muted", text: "Judge: " + fp.judge_model + ", prompt " + fp.prompt_sha256 +
      ", temperature " + fp.temperature + ". Judge accuracy counts invalid verdicts as not correct (the paper's rule); \"over scored\" leaves them out." }));
  }

  /* items: run A's items, each with its partner in run B (same benchmark and id) */
  var key = function (it) { return it.benchmark + "\u0000" + it.id; };
  var other = {};
  if (runs.length > 1) runs[1].items.forEach(function (it) { other[key(it)] = it; });
  var items = runs[0].items.map(function (it) {
    var b = other[key(it)] || null, oa = outcome(it), ob = b ? outcome(b) : null;
    return { a: it, b: b, changed: !!(b && oa && ob && oa !== ob), text: (it.question + "\n" + it.prediction).toLowerCase() };
  });
  var nChanged = items.filter(function (x) { return x.changed; }).length;

  var form = document.getElementById("filters"), all = runs[0].items;
  form.appendChild(el("label", { for: "q" }, "Search", el("input", { type: "search", id: "q", placeholder: "question or prediction" })));
  form.appendChild(RQ.select("Benchmark", "f-bench", RQ.uniq(all.map(function (i) { return i.benchmark; }))));
  form.appendChild(RQ.select("Subset", "f-subset", RQ.uniq(all.map(function (i) { return i.subset; }))));
  var shows = [["disagree", "judge and rule disagree"], ["invalid", "invalid (no judge verdict)"], ["wrong", "wrong"], ["right", "right"]];
  if (runs.length > 1) shows.push(["changed", "changed between runs (" + nChanged + ")"], ["fixed", "wrong in A, right in B"],
    ["broke", "right in A, wrong in B"]);
  form.appendChild(RQ.select("Show", "f-show", shows, "all items"));
  form.appendChild(el("button", { type: "reset" }, "Clear filters"));

  function val(id) { return document.getElementById(id).value; }
  function filter() {
    var q = val("q").trim().toLowerCase(), bench = val("f-bench"), sub = val("f-subset"), show = val("f-show");
    return items.filter(function (x) {
      var it = x.a, o = outcome(it);
      if (bench && it.benchmark !== bench || sub && it.subset !== sub) return false;
      if (q && x.text.indexOf(q) < 0) return false;
      switch (show) {
        case "disagree": return disagree(it);
        case "invalid": return it.judge === "invalid";
        case "wrong": return o === "wrong";
        case "right": return o === "right";
        case "changed": return x.changed;
        case "fixed": return x.changed && o === "wrong" && outcome(x.b) === "right";
        case "broke": return x.changed && o === "right" && outcome(x.b) === "wrong";
      }
      return true;
    });
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
        el("p", { class: "muted", text: it.benchmark + " \u00b7 " + it.subset + " \u00b7 " + it.id + (x.changed ? " \u00b7 changed" : "") }),
        el("p", null, el("strong", { text: "Question: " }), it.question),
        el("p", null, el("strong", { text: "Reference: " }), it.answer),
        el("div", { class: "cols" }, side(it, runs.length > 1 ? "A" : "Prediction"),
          x.b ? side(x.b, "B") : (runs.length > 1 ? el("div", { class: "side muted", text: "not in run B" }) : null))));
  }
  function status(box, shown, ms) {
    box.appendChild(el("span", { id: "count-items", text: String(shown.length) }));
    box.appendChild(document.createTextNode(" of " + items.length + " items" + RQ.filtered(ms)));
  }
  RQ.pagedList({ list: document.getElementById("items"), size: PAGE, filter: filter, draw: item, status: status });
})();
