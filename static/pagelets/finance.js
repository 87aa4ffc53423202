// finance: shows the value under the pointer when hovering a sparkline.
(function () {
  "use strict";
  var w = window;
  (w.__pageletJS = w.__pageletJS || []).push("finance");
  (w.__pendingAtJS = w.__pendingAtJS || []).push(document.querySelectorAll('[data-bigpipe="pending"]').length);

  var root = document.querySelector(".pl-finance");
  if (!root || root.hasAttribute("data-enhanced")) return;
  root.setAttribute("data-enhanced", "");
  var sparks = root.querySelectorAll("svg[data-values]");
  for (var i = 0; i < sparks.length; i++) enhance(sparks[i]);

  function enhance(svg) {
    var values = svg.getAttribute("data-values").split(" ").map(Number).filter(function (v) { return !isNaN(v); });
    var cell = svg.parentNode;
    if (values.length < 2 || !cell) return;
    var tip = document.createElement("span");
    tip.className = "pl-finance__tip";
    tip.hidden = true;
    tip.setAttribute("aria-hidden", "true");
    cell.appendChild(tip);
    var first = values[0];
    svg.addEventListener("pointermove", function (e) {
      var box = svg.getBoundingClientRect();
      var x = Math.min(Math.max(e.clientX - box.left, 0), box.width);
      var v = values[Math.round(x / box.width * (values.length - 1))];
      var pct = first ? (v - first) / first * 100 : 0;
      tip.textContent = v.toLocaleString("en-GB") + " (" + (pct >= 0 ? "+" : "") + pct.toFixed(2) + "%)";
      tip.hidden = false;
    });
    svg.addEventListener("pointerleave", function () { tip.hidden = true; });
  }
})();
