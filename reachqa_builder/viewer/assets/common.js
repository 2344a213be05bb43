/* Shared helpers: element building (text only, never HTML from data), navigation, paging. */
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
  function pct(x) { return x === null || x === undefined ? "\u2013" : (100 * x).toFixed(2); }
  function json(v) { return typeof v === "string" ? v : JSON.stringify(v, null, 1); }
  return { el: el, nav: nav, select: select, uniq: uniq, pager: pager, pct: pct, json: json };
})();
