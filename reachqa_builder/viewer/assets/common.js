/* Shared helpers: element building (text only, never HTML from data), navigation, filtered paged lists. */
"use strict";
var RQ = (function () {
  function el(tag, attrs) {
    var node = document.createElement(tag);
    if (attrs) for (var k in attrs) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) continue;
      if (k === "text") node.textContent = String(v);
      else if (k === "on") for (var ev in v) node.addEventListener(ev, v[ev]);
      else node.setAttribute(k, v === true ? "" : String(v));
    }
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined || c === false) continue;
      if (Array.isArray(c)) c.forEach(function (x) { if (x) node.appendChild(typeof x === "string" ? document.createTextNode(x) : x); });
      else node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    }
    return node;
  }
  var NAMES = { data: ["data.html", "Data"], eval: ["eval.html", "Evaluation"], synthesis: ["synthesis.html", "Synthesis report"] };
  function nav(current) {
    var site = window.REACHQA_SITE || { pages: [], title: "" };
    var box = document.getElementById("nav");
    if (!box) return;
    box.appendChild(el("span", { text: "reachqa view", class: "muted" }));
    site.pages.forEach(function (p) {
      box.appendChild(el("a", { href: NAMES[p][0], text: NAMES[p][1], "aria-current": p === current ? "page" : null }));
    });
    if (site.title) document.title = site.title + " - " + document.title;
  }
  /* select(label, id, values, all, key): a labelled <select>; values are strings or [value, text];
     key is its name (its key in the URL; default: id). Each option keeps its text in data-text, so
     counts() can write "text (n)" beside it. */
  function select(label, id, values, all, key) {
    var s = el("select", { id: id, name: key || id });
    s.appendChild(el("option", { value: "", text: all || "all" }));
    values.forEach(function (v) {
      var val = Array.isArray(v) ? v[0] : v, text = Array.isArray(v) ? v[1] : v === "" ? "(empty)" : v;
      s.appendChild(el("option", { value: val, text: text, "data-text": text }));
    });
    return el("label", { for: id }, label, s);
  }
  /* counts(select, {value: n}): "text (n)" on each option (0 where the value has none) */
  function counts(s, by) {
    for (var i = 1; i < s.options.length; i++) {
      var o = s.options[i], n = by[o.value] || 0;
      o.textContent = o.getAttribute("data-text") + " (" + n + ")";
      o.setAttribute("data-count", String(n));
    }
  }
  /* table(value): structured data readable: a list of objects is a table (one column per key), an
     object a two-column table, a list of plain values a comma list; nested values the same way. */
  function isPlain(v) { return v === null || typeof v !== "object"; }
  function plain(v) { return v === null || v === undefined ? "\u2013" : typeof v === "boolean" ? (v ? "yes" : "no") : String(v); }
  function table(v) {
    if (isPlain(v)) return document.createTextNode(plain(v));
    if (Array.isArray(v)) {
      if (!v.length) return el("span", { class: "muted", text: "none" });
      if (v.every(isPlain)) return document.createTextNode(v.map(plain).join(", "));
      if (v.every(function (x) { return x && typeof x === "object" && !Array.isArray(x); })) {
        var cols = [];
        v.forEach(function (x) { Object.keys(x).forEach(function (k) { if (cols.indexOf(k) < 0) cols.push(k); }); });
        var t = el("table", { class: "data" }, el("tr", null, cols.map(function (k) { return el("th", { scope: "col", text: k }); })));
        v.forEach(function (x) { t.appendChild(el("tr", null, cols.map(function (k) { return el("td", null, table(x[k])); }))); });
        return t;
      }
      return el("ol", { class: "data" }, v.map(function (x) { return el("li", null, table(x)); }));
    }
    var rows = el("table", { class: "data" });
    Object.keys(v).forEach(function (k) { rows.appendChild(el("tr", null, el("th", { scope: "row", text: k }), el("td", null, table(v[k])))); });
    return rows;
  }
  function uniq(list) {
    var seen = {}, out = [];
    list.forEach(function (v) { if (v !== null && v !== undefined && !seen[v]) { seen[v] = 1; out.push(v); } });
    return out.sort();
  }
  /* pager(box, page, pages, go): Prev / "Page i of n" / Next buttons */
  function pager(box, page, pages, go) {
    box.textContent = "";
    if (pages <= 1) return;
    box.appendChild(el("button", { type: "button", class: "prev", disabled: page === 0, "aria-label": "Previous page",
      on: { click: function () { go(page - 1); } } }, "\u2190 Previous"));
    box.appendChild(el("span", { class: "page-of", text: "Page " + (page + 1) + " of " + pages }));
    box.appendChild(el("button", { type: "button", class: "next", disabled: page >= pages - 1, "aria-label": "Next page",
      on: { click: function () { go(page + 1); } } }, "Next \u2192"));
  }
  /* pagedList(o): the filtered, paged list of a page whose #filters form narrows #status's count.
     o.filter() returns the entries to show; o.draw(entry, state) makes one list element of o.list
     (state: the URL text of the filters and page, for links that come back to this view);
     o.status(box, shown, ms) writes the count line; o.size entries a page; o.keys the names of the
     form's controls, in the order they appear in the URL. The filters and the page live in the URL's
     fragment (data.html#level=Easy&page=2): a link to it shows the same list, Back and Forward
     restore the form and the list together. Every input of the form filters again (its time goes to
     window.REACHQA_TIMING.filters) and goes back to page 1; both pagers (#pager-top, #pager) move
     through the pages. */
  function pagedList(o) {
    var state = { shown: [], page: 0 }, form = document.getElementById("filters"), lastTyped = false;
    var timing = window.REACHQA_TIMING = window.REACHQA_TIMING || { filters: [] };
    form.setAttribute("autocomplete", "off");  /* the URL, not the browser's form memory, restores filters */
    function serial(withPage) {
      var p = new URLSearchParams();
      o.keys.forEach(function (k) { var c = form.elements[k]; if (c && c.value !== "") p.set(k, c.value); });
      if (withPage && state.page) p.set("page", String(state.page + 1));
      return p.toString();
    }
    function fromUrl() {
      var p = new URLSearchParams(location.hash.slice(1)), ignored = [];
      o.keys.forEach(function (k) {
        var c = form.elements[k], v = p.get(k) || "";
        if (!c) { if (v) ignored.push(k + "=" + v); return; }
        c.value = v;
        if (c.value !== v) { c.value = ""; ignored.push(k + "=" + v); }  /* a value the select does not offer */
      });
      var note = document.getElementById("url-note");
      if (note) note.textContent = ignored.length ? "Not a filter of this data, ignored: " + ignored.join(", ") : "";
      return Math.max(0, (parseInt(p.get("page"), 10) || 1) - 1);
    }
    function write(typed) {
      var s = serial(true);
      if (s === location.hash.slice(1)) return;
      if (typed && lastTyped) history.replaceState(null, "", "#" + s);  /* one history entry per search typed */
      else history.pushState(null, "", "#" + s);
      lastTyped = typed;
    }
    function render(ms) {
      var pages = Math.max(1, Math.ceil(state.shown.length / o.size)), status = document.getElementById("status");
      state.page = Math.min(state.page, pages - 1);
      var here = serial(true);
      o.list.textContent = "";
      state.shown.slice(state.page * o.size, (state.page + 1) * o.size).forEach(function (x) { o.list.appendChild(o.draw(x, here)); });
      status.textContent = "";
      o.status(status, state.shown, ms);
      function go(p) { state.page = p; lastTyped = false; render(); write(false); o.list.scrollIntoView(); }
      pager(document.getElementById("pager-top"), state.page, pages, go);
      pager(document.getElementById("pager"), state.page, pages, go);
    }
    function apply(page) {
      var t0 = performance.now();
      state.shown = o.filter();
      state.page = page || 0;
      var ms = performance.now() - t0;
      timing.filters.push(ms);
      render(ms);
    }
    function onInput(ev) {
      apply(0);
      write(!!(ev && ev.target && ev.target.tagName === "INPUT" && ev.type === "input"));
    }
    /* the URL as applied: values the form cannot take are dropped from it (and named in #url-note) */
    function canon() {
      var s = serial(true);
      if (s !== location.hash.slice(1)) history.replaceState(null, "", s ? "#" + s : location.pathname + location.search);
    }
    function restore() { if (serial(true) !== location.hash.slice(1)) { apply(fromUrl()); canon(); } }
    form.addEventListener("input", onInput);
    form.addEventListener("change", onInput);
    form.addEventListener("reset", function () { setTimeout(function () { apply(0); lastTyped = false; write(false); }, 0); });
    window.addEventListener("popstate", restore);
    window.addEventListener("hashchange", restore);
    window.addEventListener("pageshow", function (ev) { if (ev.persisted) { apply(fromUrl()); canon(); } });
    apply(fromUrl());
    canon();
    return { refresh: function () { apply(state.page); } };
  }
  function filtered(ms) { return ms !== undefined ? " (filtered in " + ms.toFixed(1) + " ms)" : ""; }
  function pct(x) { return x === null || x === undefined ? "\u2013" : (100 * x).toFixed(2); }
  return { el: el, nav: nav, select: select, counts: counts, table: table, uniq: uniq, pager: pager, pagedList: pagedList, filtered: filtered,
           pct: pct };
})();
