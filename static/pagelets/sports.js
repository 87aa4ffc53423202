// sports: marks the leading side of every finished or live match.
(function () {
  "use strict";
  var w = window;
  (w.__pageletJS = w.__pageletJS || []).push("sports");
  (w.__pendingAtJS = w.__pendingAtJS || []).push(document.querySelectorAll('[data-bigpipe="pending"]').length);

  var root = document.querySelector(".pl-sports");
  if (!root || root.hasAttribute("data-enhanced")) return;
  root.setAttribute("data-enhanced", "");
  var rows = root.querySelectorAll("tr[data-home][data-away]");
  for (var i = 0; i < rows.length; i++) {
    var r = rows[i];
    if (r.classList.contains("is-scheduled")) continue;
    var h = parseInt(r.getAttribute("data-home"), 10), a = parseInt(r.getAttribute("data-away"), 10);
    var cell = h > a ? r.querySelector(".pl-sports__home") : a > h ? r.querySelector(".pl-sports__away") : null;
    if (cell) cell.classList.add("is-winner");
  }
})();
