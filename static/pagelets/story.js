// story: a thin reading-progress bar at the top of the window.
(function () {
  "use strict";
  var w = window;
  (w.__pageletJS = w.__pageletJS || []).push("story");
  (w.__pendingAtJS = w.__pendingAtJS || []).push(document.querySelectorAll('[data-bigpipe="pending"]').length);

  var root = document.querySelector(".pl-story");
  if (!root || root.hasAttribute("data-enhanced")) return;
  root.setAttribute("data-enhanced", "");
  var bar = document.createElement("div");
  bar.className = "pl-story__progress";
  bar.setAttribute("aria-hidden", "true");
  document.body.appendChild(bar);
  var queued = false;
  function update() {
    queued = false;
    var box = root.getBoundingClientRect();
    var total = box.height - w.innerHeight * 0.5;
    var done = total > 0 ? Math.min(Math.max(-box.top / total, 0), 1) : 1;
    bar.style.transform = "scaleX(" + done.toFixed(3) + ")";
  }
  function queue() {
    if (!queued) { queued = true; w.requestAnimationFrame(update); }
  }
  w.addEventListener("scroll", queue, { passive: true });
  w.addEventListener("resize", queue);
  update();
})();
