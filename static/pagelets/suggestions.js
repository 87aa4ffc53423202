// suggestions: outlines the popular searches that the typed query starts.
(function () {
  "use strict";
  var w = window;
  (w.__pageletJS = w.__pageletJS || []).push("suggestions");
  (w.__pendingAtJS = w.__pendingAtJS || []).push(document.querySelectorAll('[data-bigpipe="pending"]').length);

  var root = document.querySelector(".pl-suggestions");
  var box = document.getElementById("site-search");
  if (!root || !box || root.hasAttribute("data-enhanced")) return;
  root.setAttribute("data-enhanced", "");
  var chips = root.querySelectorAll(".chip");
  function update() {
    var q = box.value.trim().toLowerCase();
    for (var i = 0; i < chips.length; i++) {
      var t = chips[i].textContent.trim().toLowerCase();
      chips[i].classList.toggle("is-match", q.length > 0 && t.indexOf(q) === 0);
    }
  }
  box.addEventListener("input", update);
  update();
})();
