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
  function select(label, id, values, all) {
    var s = el("select", { id: id, name: id });
    s.appendChild(el("option", { value: "", text: all || "all" }));
    values.forEach(function (v) {
      if (Array.isArray(v)) s.appendChild(el("option", { value: v[0], text: v[1] }));
      else s.appendChild(el("option", { value: v, text: v === "" ? "(empty)" : v }));
    });
    return el("label", { for: id }, label, s);
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
     o.filter() returns the entries to show; o.draw(entry) makes one list element of o.list;
     o.status(box, shown, ms) writes the count line; o.size entries a page. Every input of the
     form filters again (its time goes to window.REACHQA_TIMING.filters) and goes back to page 1;
     both pagers (#pager-top, #pager) move through the pages. */
  function pagedList(o) {
    var state = { shown: [], page: 0 }, form = document.getElementById("filters");
    var timing = window.REACHQA_TIMING = window.REACHQA_TIMING || { filters: [] };
    function render(ms) {
      var pages = Math.max(1, Math.ceil(state.shown.length / o.size)), status = document.getElementById("status");
      o.list.textContent = "";
      state.shown.slice(state.page * o.size, (state.page + 1) * o.size).forEach(function (x) { o.list.appendChild(o.draw(x)); });
      status.textContent = "";
      o.status(status, state.shown, ms);
      function go(p) { state.page = p; render(); o.list.scrollIntoView(); }
      pager(document.getElementById("pager-top"), state.page, pages, go);
      pager(document.getElementById("pager"), state.page, pages, go);
    }
    function apply() {
      var t0 = performance.now();
      state.shown = o.filter();
      state.page = 0;
      var ms = performance.now() - t0;
      timing.filters.push(ms);
      render(ms);
    }
    form.addEventListener("input", apply);
    form.addEventListener("change", apply);
    form.addEventListener("reset", function () { setTimeout(apply, 0); });
    apply();
  }
  function filtered(ms) { return ms !== undefined ? " (filtered in " + ms.toFixed(1) + " ms)" : ""; }
  function pct(x) { return x === null || x === undefined ? "\u2013" : (100 * x).toFixed(2); }
  function json(v) { return typeof v === "string" ? v : JSON.stringify(v, null, 1); }
  return { el: el, nav: nav, select: select, uniq: uniq, pager: pager, pagedList: pagedList, filtered: filtered,
           pct: pct, json: json };
})();
