// results: ArrowDown / ArrowUp move between result links.
(function () {
  "use strict";
  var w = window;
  (w.__pageletJS = w.__pageletJS || []).push("results");
  (w.__pendingAtJS = w.__pendingAtJS || []).push(document.querySelectorAll('[data-bigpipe="pending"]').length);

  var root = document.querySelector(".pl-results");
  if (!root || root.hasAttribute("data-enhanced")) return;
  root.setAttribute("data-enhanced", "");
  var links = root.querySelectorAll(".pl-results__title a");
  if (!links.length) return;
  root.addEventListener("keydown", function (e) {
    if (e.key !== "ArrowDown" && e.key !== "ArrowUp") return;
    var cur = Array.prototype.indexOf.call(links, document.activeElement);
    if (cur < 0) return;
    e.preventDefault();
    var next = e.key === "ArrowDown" ? Math.min(cur + 1, links.length - 1) : Math.max(cur - 1, 0);
    links[next].focus();
  });
  root.addEventListener("focusin", function (e) {
    var items = root.querySelectorAll(".pl-results__item");
    for (var i = 0; i < items.length; i++) items[i].classList.toggle("is-active", items[i].contains(e.target));
  });
})();
