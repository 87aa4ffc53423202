// comments: posts the comment form with fetch instead of a page load. The
// comment then appears in the list like anyone else's, through the live
// channel; this script never inserts it. A network failure is retried with
// the same comment id, so the server stores and publishes it once; a
// refusal (too long, too fast, an expired form) is shown in the form's
// status line. Without fetch the form posts as a plain form does.
(function () {
  "use strict";
  var w = window;
  (w.__pageletJS = w.__pageletJS || []).push("comments");
  (w.__pendingAtJS = w.__pendingAtJS || []).push(document.querySelectorAll('[data-bigpipe="pending"]').length);

  var form = document.querySelector(".comment-form");
  if (!form || form.hasAttribute("data-enhanced") || !w.fetch || !w.FormData || !w.URLSearchParams) return;
  form.setAttribute("data-enhanced", "");
  var status = form.querySelector(".comment-form__status");
  var busy = false;

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    if (!busy) send(1);
  });

  function send(attempt) {
    busy = true;
    form.setAttribute("aria-busy", "true");
    say("Posting…");
    var body = new URLSearchParams(new FormData(form));
    w.fetch(form.action, { method: "POST", body: body, headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (res) {
        return res.json().then(function (j) { return { res: res, j: j }; }, function () { return { res: res, j: {} }; });
      })
      .then(function (r) {
        if (r.res.ok) {
          form.elements.text.value = "";
          form.elements.id.value = newID();
          say("Posted.");
        } else {
          say(r.j.error || "The comment was not posted (error " + r.res.status + ").");
        }
        done();
      }, function () {
        if (attempt < 3) {
          say("Connection lost; trying again…");
          w.setTimeout(function () { send(attempt + 1); }, 1000 * attempt);
          return;
        }
        say("The comment could not be sent. Check your connection and post again.");
        done();
      });
  }

  function done() {
    busy = false;
    form.removeAttribute("aria-busy");
  }

  function say(text) {
    if (status) status.textContent = text;
  }

  function newID() {
    var c = w.crypto;
    if (c.randomUUID) return c.randomUUID();
    var a = new Uint8Array(16);
    c.getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }
})();
