// related: prefetches a related story when the pointer rests on its link.
(function () {
  "use strict";
  var w = window;
  (w.__pageletJS = w.__pageletJS || []).push("related");
  (w.__pendingAtJS = w.__pendingAtJS || []).push(document.querySelectorAll('[data-bigpipe="pending"]').length);

  var root = document.querySelector(".pl-related");
  if (!root || root.hasAttribute("data-enhanced")) return;
  root.setAttribute("data-enhanced", "");
  var done = {};
  root.addEventListener("pointerover", function (e) {
    var a = e.target.closest ? e.target.closest("a[href]") : null;
    if (!a || done[a.href]) return;
    done[a.href] = true;
    var l = document.createElement("link");
    l.rel = "prefetch";
    l.href = a.href;
    document.head.appendChild(l);
  });
})();
