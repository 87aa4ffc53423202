// tech: makes each whole card clickable, keeping text selectable.
(function () {
  "use strict";
  var w = window;
  (w.__pageletJS = w.__pageletJS || []).push("tech");
  (w.__pendingAtJS = w.__pendingAtJS || []).push(document.querySelectorAll('[data-bigpipe="pending"]').length);

  var root = document.querySelector(".pl-tech");
  if (!root || root.hasAttribute("data-enhanced")) return;
  root.setAttribute("data-enhanced", "");
  var cards = root.querySelectorAll(".pl-tech__card");
  for (var i = 0; i < cards.length; i++) {
    (function (card) {
      var link = card.querySelector("a[href]");
      if (!link) return;
      card.classList.add("is-clickable");
      card.addEventListener("click", function (e) {
        if (e.target.closest && e.target.closest("a")) return;
        var sel = w.getSelection && w.getSelection();
        if (sel && String(sel).length > 0) return;
        link.click();
      });
    })(cards[i]);
  }
})();
