// searchhead: pressing "/" anywhere outside a text field focuses the search box.
(function () {
  "use strict";
  var w = window;
  (w.__pageletJS = w.__pageletJS || []).push("searchhead");
  (w.__pendingAtJS = w.__pendingAtJS || []).push(document.querySelectorAll('[data-bigpipe="pending"]').length);

  var root = document.querySelector(".pl-searchhead");
  var box = document.getElementById("site-search");
  if (!root || !box || root.hasAttribute("data-enhanced")) return;
  root.setAttribute("data-enhanced", "");
  box.setAttribute("aria-keyshortcuts", "/");
  document.addEventListener("keydown", function (e) {
    if (e.key !== "/" || e.ctrlKey || e.metaKey || e.altKey) return;
    var t = e.target;
    if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
    e.preventDefault();
    box.focus();
    box.select();
  });
})();
