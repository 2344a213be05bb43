/* The chart list of a dataset site, shared by the data page (the grid) and the chart page (previous /
   next within the same list): what each filter is, which charts and Q&A pass, how many would pass
   per filter value, and the sort orders. Filters are read through get(key) -> string, so the data
   page reads its form and the chart page the filter part of its URL: both see the same list. */
"use strict";
var RQL = (function () {
  var D = window.REACHQA_INDEX, C = D.charts, Q = D.qa, nCharts = C.id.length, nQA = Q.q.length;
  var qLower = null;
  var ANY = "\u2217any", NONE = "\u2205none";  /* the two extra values of a tag filter (e.g. layout flags) */
  function colOf(cols, name) { return cols[name]; }
  /* filters: {key, label, level: "chart"|"qa", kind: "choice"|"tags"|"number", col: values per row} */
  var filters = [
    { key: "split", label: "Split", level: "chart", kind: "choice", col: C.split, id: "f-split" },
    { key: "type", label: "Chart type", level: "chart", kind: "choice", col: C.major, id: "f-major" },
    { key: "minor", label: "Minor type", level: "chart", kind: "choice", col: C.minor, id: "f-minor" },
    { key: "level", label: "Level", level: "chart", kind: "choice", col: C.level, id: "f-level" }];
  if (nQA) filters.push({ key: "qa", label: "Q&A type", level: "qa", kind: "choice", col: Q.type, id: "f-qatype" });
  function facets(spec, cols, level, prefix, idPrefix) {
    Object.keys(spec).forEach(function (name, i) {
      var f = spec[name], bare = name.replace(/^provenance\./, ""), label = bare.replace(/_/g, " ");
      if (bare !== name && spec[bare]) label += " (provenance)";  /* a column of the same name exists */
      filters.push({ key: prefix + name, label: label, level: level, kind: f.kind, col: colOf(cols, name),
                     values: f.values, min: f.min, max: f.max, id: idPrefix + i });
    });
  }
  facets(D.chart_facets, C.fields, "chart", "", "cf-");
  facets(D.qa_facets, Q.fields, "qa", "qa.", "qf-");
  filters.forEach(function (f) {
    if (f.kind === "tags") f.options = [[ANY, "any"], [NONE, "none"]].concat(f.values.map(function (v) { return [v, v]; }));
    else if (f.kind === "choice") f.options = (f.values || RQ.uniq(f.col)).map(function (v) { return [v, v === "" ? "(empty)" : v]; });
  });
  /* sort orders: key -> [label, compare(i, j)] (ties keep dataset order) */
  function by(col, desc) {
    return function (i, j) {
      var a = col[i], b = col[j];
      if (a === b) return 0;
      if (a === null || a === undefined || a === "") return 1;
      if (b === null || b === undefined || b === "") return -1;
      return (a < b ? -1 : 1) * (desc ? -1 : 1);
    };
  }
  var sorts = [["", "dataset order", null], ["id", "chart id", by(C.id)], ["type", "chart type", function (i, j) {
    return by(C.major)(i, j) || by(C.minor)(i, j); }], ["level", "level", by(C.level)],
    ["qa-desc", "most Q&A first", by(C.nqa, true)]];
  filters.forEach(function (f) {
    if (f.level === "chart" && f.kind === "number") {
      sorts.push([f.key + "-desc", f.label + ", highest first", by(f.col, true)], [f.key + "-asc", f.label + ", lowest first", by(f.col)]);
    }
  });
  function test(f, v) {
    var col = f.col;
    if (f.kind === "choice") return function (k) { return col[k] === v; };
    if (f.kind === "tags") {
      if (v === ANY) return function (k) { return !!(col[k] && col[k].length); };
      if (v === NONE) return function (k) { return !(col[k] && col[k].length); };
      return function (k) { return !!col[k] && col[k].indexOf(v) >= 0; };
    }
    var t = parseFloat(v);
    return isNaN(t) ? null : function (k) { return col[k] !== null && col[k] !== undefined && col[k] >= t; };
  }
  /* the values row k counts under for filter f (a tag row counts under each tag and "any"/"none") */
  function countInto(f, k, into) {
    var v = f.col[k];
    if (f.kind === "choice") { if (v !== null && v !== undefined) into[v] = (into[v] || 0) + 1; return; }
    if (!v || !v.length) { into[NONE] = (into[NONE] || 0) + 1; return; }
    into[ANY] = (into[ANY] || 0) + 1;
    var seen = {};
    v.forEach(function (t) { if (!seen[t]) { seen[t] = 1; into[t] = (into[t] || 0) + 1; } });
  }
  /* run(get): {shown: chart indices in the sort order, first, matches, nq, counts: {key: {value: n}}}.
     A chart filter's counts are charts, a Q&A filter's counts are Q&A: what would pass with that value
     chosen and every other filter as it is. */
  function run(get) {
    var text = (get("q") || "").trim().toLowerCase(), i, j;
    if (text && !qLower) qLower = Q.q.map(function (s) { return s.toLowerCase(); });
    var active = { chart: [], qa: [] }, counted = { chart: [], qa: [] };
    filters.forEach(function (f) {
      var v = get(f.key) || "", t = v === "" ? null : test(f, v);
      f.active = t ? active[f.level].length : -1;
      if (t) active[f.level].push(t);
      if (f.kind !== "number") counted[f.level].push(f);
    });
    var qa = active.qa, ch = active.chart;
    /* Q&A: how many Q&A filters fail (and which, when one does) */
    var qFails = new Uint8Array(nQA), qWhich = new Int16Array(nQA);
    var qaActive = !!(text || qa.length), matches = new Uint32Array(nCharts);
    for (i = 0; i < nQA; i++) {
      if (text && qLower[i].indexOf(text) < 0) { qFails[i] = 2; continue; }  /* text never counts as "the one" */
      for (j = 0; j < qa.length; j++) if (!qa[j](i)) { qFails[i]++; qWhich[i] = j; if (qFails[i] > 1) break; }
      if (!qFails[i]) matches[Q.chart[i]]++;
    }
    var cFails = new Uint8Array(nCharts), cWhich = new Int16Array(nCharts);
    for (i = 0; i < nCharts; i++) {
      for (j = 0; j < ch.length; j++) if (!ch[j](i)) { cFails[i]++; cWhich[i] = j; if (cFails[i] > 1) break; }
    }
    var counts = {}, shown = [], first = new Int32Array(nCharts).fill(-1), nq = 0;
    filters.forEach(function (f) { counts[f.key] = {}; });
    for (i = 0; i < nCharts; i++) {
      var qaOk = !qaActive || matches[i] > 0;
      if (!qaOk) continue;
      if (!cFails[i]) shown.push(i);
      counted.chart.forEach(function (f) {
        if (!cFails[i] || cFails[i] === 1 && cWhich[i] === f.active) countInto(f, i, counts[f.key]);
      });
    }
    for (i = 0; i < nQA; i++) {
      var c = Q.chart[i];
      if (cFails[c]) continue;
      if (!qFails[i]) { nq++; if (first[c] < 0) first[c] = i; }
      counted.qa.forEach(function (f) {
        if (!qFails[i] || qFails[i] === 1 && qWhich[i] === f.active) countInto(f, i, counts[f.key]);
      });
    }
    var sort = sorts.filter(function (s) { return s[0] === (get("sort") || ""); })[0];
    if (sort && sort[2]) shown.sort(function (a, b) { return sort[2](a, b) || a - b; });
    return { shown: shown, first: first, matches: matches, nq: nq, counts: counts };
  }
  /* the filter state as URL text ("split=test&level=Easy"), keys in a fixed order; "" when none */
  function keys() { return ["q"].concat(filters.map(function (f) { return f.key; }), ["sort"]); }
  function describe(params) {
    var out = [];
    filters.forEach(function (f) {
      var v = params.get(f.key);
      if (v) out.push(f.label + (f.kind === "number" ? " \u2265 " : ": ") + (v === ANY ? "any" : v === NONE ? "none" : v));
    });
    if (params.get("q")) out.push("search: \u201c" + params.get("q") + "\u201d");
    return out;
  }
  return { filters: filters, sorts: sorts, run: run, keys: keys, describe: describe, ANY: ANY, NONE: NONE };
})();
