// comments: the comments pagelet's script. The comment form below it is
// posted by the renderer's form enhancer (render.FormScript, listed by the
// article page); a posted comment then appears in the list like anyone
// else's, through the live channel. This file only records, for the
// tests, that the pagelet's JS ran and when.
(function () {
  "use strict";
  var w = window;
  (w.__pageletJS = w.__pageletJS || []).push("comments");
  (w.__pendingAtJS = w.__pendingAtJS || []).push(document.querySelectorAll('[data-bigpipe="pending"]').length);
})();
