// sports: the scores table needs no script (the server marks each match's
// leading side, so a live update keeps it); this only reports in.
(function () {
  "use strict";
  var w = window;
  (w.__pageletJS = w.__pageletJS || []).push("sports");
  (w.__pendingAtJS = w.__pendingAtJS || []).push(document.querySelectorAll('[data-bigpipe="pending"]').length);
})();
