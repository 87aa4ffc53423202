// desk: the desk pagelet's script. Its content is kept current by the live
// channel (a publication carries it whole, or, for messages, one item);
// this file only records, for the tests, that the pagelet's JS ran and
// when.
(function () {
  "use strict";
  var w = window;
  (w.__pageletJS = w.__pageletJS || []).push("desk");
  (w.__pendingAtJS = w.__pendingAtJS || []).push(document.querySelectorAll('[data-bigpipe="pending"]').length);
})();
