// weather: keeps the "local time" clock running.
(function () {
  "use strict";
  var w = window;
  (w.__pageletJS = w.__pageletJS || []).push("weather");
  (w.__pendingAtJS = w.__pendingAtJS || []).push(document.querySelectorAll('[data-bigpipe="pending"]').length);

  var clock = document.querySelector(".pl-weather__time");
  if (!clock || clock.hasAttribute("data-enhanced")) return;
  clock.setAttribute("data-enhanced", "");
  function pad(n) { return n < 10 ? "0" + n : String(n); }
  function tick() {
    var d = new Date();
    clock.textContent = pad(d.getHours()) + ":" + pad(d.getMinutes());
    clock.setAttribute("datetime", d.toISOString());
  }
  tick();
  setInterval(tick, 15000);
})();
