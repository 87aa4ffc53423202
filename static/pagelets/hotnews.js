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

  // The CSS already shows the first headline (--pl-hotnews-at unset is 0),
  // in the box the rotation keeps: marking it current changes nothing on
  // screen. show() moves --pl-hotnews-at, which translates the headlines
  // (transform only); the one entering slides up into the line (is-rotated).
  var list = ticker.querySelector(".pl-hotnews__ticker-list");
  var current = 0, paused = false;
  items[0].classList.add("is-current");
  function show(i) {
    items[current].classList.remove("is-current");
    current = (i + items.length) % items.length;
    items[current].classList.add("is-current");
    list.style.setProperty("--pl-hotnews-at", String(current));
    ticker.classList.add("is-rotated");
  }
  ticker.addEventListener("mouseenter", function () { paused = true; });
  ticker.addEventListener("mouseleave", function () { paused = false; });
  ticker.addEventListener("focusin", function (e) {
    paused = true;
    // A headline reached by keyboard is brought into the line.
    for (var k = 0; k < items.length; k++) if (items[k].contains(e.target) && k !== current) show(k);
  });
  ticker.addEventListener("focusout", function () { paused = false; });
  if (w.matchMedia && w.matchMedia("(prefers-reduced-motion: reduce)").matches) return;
  setInterval(function () {
    if (!paused && !document.hidden) show(current + 1);
  }, 4000);
})();
