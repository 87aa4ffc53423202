// society: marks stories published in the last three hours as new. The
// server already marks them (pages.fresh), so the badges are in the first
// layout; this only catches up when the client's clock disagrees.
(function () {
  "use strict";
  var w = window;
  (w.__pageletJS = w.__pageletJS || []).push("society");
  (w.__pendingAtJS = w.__pendingAtJS || []).push(document.querySelectorAll('[data-bigpipe="pending"]').length);

  var root = document.querySelector(".pl-society");
  if (!root || root.hasAttribute("data-enhanced")) return;
  root.setAttribute("data-enhanced", "");
  var limit = 3 * 60 * 60 * 1000;
  var items = root.querySelectorAll(".stories__item");
  for (var i = 0; i < items.length; i++) {
    var t = items[i].querySelector("time[datetime]");
    var when = t ? Date.parse(t.getAttribute("datetime")) : NaN;
    if (!isNaN(when) && Date.now() - when < limit) items[i].classList.add("is-fresh"); // a no-op when the server marked it
  }
})();
