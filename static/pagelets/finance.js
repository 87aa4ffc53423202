// finance: shows the value under the pointer when hovering a sparkline.
// The listeners sit on the pagelet's container, not on the table, so they
// keep working when a live update of the "markets" channel replaces it.
(function () {
  "use strict";
  var w = window;
  (w.__pageletJS = w.__pageletJS || []).push("finance");
  (w.__pendingAtJS = w.__pendingAtJS || []).push(document.querySelectorAll('[data-bigpipe="pending"]').length);

  var box = document.getElementById("finance");
  if (!box || box.hasAttribute("data-enhanced")) return;
  box.setAttribute("data-enhanced", "");
  var shown = null;
  box.addEventListener("pointermove", function (e) {
    var svg = e.target.closest ? e.target.closest("svg[data-values]") : null;
    if (shown && shown.svg !== svg) hide();
    if (!svg) return;
    var values = svg.getAttribute("data-values").split(" ").map(Number).filter(function (v) { return !isNaN(v); });
    var cell = svg.parentNode;
    if (values.length < 2 || !cell) return;
    if (!shown) {
      var tip = document.createElement("span");
      tip.className = "pl-finance__tip";
      tip.setAttribute("aria-hidden", "true");
      cell.appendChild(tip);
      shown = {svg: svg, tip: tip};
    }
    var r = svg.getBoundingClientRect();
    var x = Math.min(Math.max(e.clientX - r.left, 0), r.width);
    var v = values[Math.round(x / r.width * (values.length - 1))];
    var first = values[0];
    var pct = first ? (v - first) / first * 100 : 0;
    shown.tip.textContent = v.toLocaleString("en-GB") + " (" + (pct >= 0 ? "+" : "") + pct.toFixed(2) + "%)";
  });
  box.addEventListener("pointerleave", hide);
  function hide() {
    if (shown && shown.tip.parentNode) shown.tip.parentNode.removeChild(shown.tip);
    shown = null;
  }
})();
