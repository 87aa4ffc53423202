// mostread: turns the "most read" and "most commented" lists into tabs
// (WAI-ARIA tabs pattern: arrow keys, Home and End move between tabs).
(function () {
  "use strict";
  var w = window;
  (w.__pageletJS = w.__pageletJS || []).push("mostread");
  (w.__pendingAtJS = w.__pendingAtJS || []).push(document.querySelectorAll('[data-bigpipe="pending"]').length);

  var root = document.querySelector(".pl-mostread");
  if (!root || root.hasAttribute("data-enhanced")) return;
  var bar = root.querySelector(".pl-mostread__tabs");
  var tabs = root.querySelectorAll(".pl-mostread__tab");
  if (!bar || tabs.length < 2) return;
  var panels = [];
  for (var i = 0; i < tabs.length; i++) {
    var panel = document.getElementById(tabs[i].getAttribute("data-panel"));
    if (!panel) return;
    panels.push(panel);
  }
  root.setAttribute("data-enhanced", "");
  root.classList.add("is-tabbed");
  bar.setAttribute("role", "tablist");
  bar.setAttribute("aria-label", "Popular stories");
  for (var j = 0; j < tabs.length; j++) {
    tabs[j].id = tabs[j].id || "tab-" + panels[j].id;
    tabs[j].setAttribute("role", "tab");
    tabs[j].setAttribute("aria-controls", panels[j].id);
    panels[j].setAttribute("role", "tabpanel");
    panels[j].setAttribute("aria-labelledby", tabs[j].id);
    panels[j].tabIndex = 0;
    tabs[j].addEventListener("click", function (k, e) { e.preventDefault(); select(k, false); }.bind(null, j));
  }
  bar.addEventListener("keydown", function (e) {
    var cur = Array.prototype.indexOf.call(tabs, document.activeElement);
    if (cur < 0) return;
    var next = { ArrowRight: cur + 1, ArrowLeft: cur - 1, Home: 0, End: tabs.length - 1 }[e.key];
    if (next === undefined) return;
    e.preventDefault();
    select((next + tabs.length) % tabs.length, true);
  });
  select(location.hash === "#" + panels[1].id ? 1 : 0, false);

  function select(k, focus) {
    for (var i = 0; i < tabs.length; i++) {
      var on = i === k;
      tabs[i].setAttribute("aria-selected", on ? "true" : "false");
      tabs[i].tabIndex = on ? 0 : -1;
      panels[i].hidden = !on;
    }
    if (focus) tabs[k].focus();
  }
})();
