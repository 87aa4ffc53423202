// hotnews: rotates the "Latest" ticker one headline at a time.
(function () {
  "use strict";
  var w = window;
  (w.__pageletJS = w.__pageletJS || []).push("hotnews");
  (w.__pendingAtJS = w.__pendingAtJS || []).push(document.querySelectorAll('[data-bigpipe="pending"]').length);

  var ticker = document.querySelector(".pl-hotnews__ticker");
  if (!ticker || ticker.hasAttribute("data-enhanced")) return;
  var items = ticker.querySelectorAll("li");
  if (items.length < 2) return;
  ticker.setAttribute("data-enhanced", "");

  // The CSS already shows the first headline, in the box the rotation
  // keeps: marking it current changes nothing on screen. Later headlines
  // enter with an animation of opacity and transform only (is-rotated).
  var current = 0, paused = false;
  items[0].classList.add("is-current");
  ticker.classList.add("is-ticking");
  function show(i) {
    items[current].classList.remove("is-current");
    current = (i + items.length) % items.length;
    items[current].classList.add("is-current");
    ticker.classList.add("is-rotated");
  }
  ticker.addEventListener("mouseenter", function () { paused = true; });
  ticker.addEventListener("mouseleave", function () { paused = false; });
  ticker.addEventListener("focusin", function () { paused = true; });
  ticker.addEventListener("focusout", function () { paused = false; });
  if (w.matchMedia && w.matchMedia("(prefers-reduced-motion: reduce)").matches) return;
  setInterval(function () {
    if (!paused && !document.hidden) show(current + 1);
  }, 4000);
})();
