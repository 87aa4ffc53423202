// form.js: the renderer's form enhancer (package form). A form marked
// data-bigpipe-form is posted with fetch and answered with JSON, so the page
// does not reload: field errors appear next to their fields, the text stays,
// and a success resets the form or follows the server's redirect. Without
// this script (or fetch) the form posts as a plain form, which the server
// answers with a redirect or the form again. Loaded only by pages that list
// render.FormScript; works under a strict CSP (no inline code).
(function () {
  "use strict";
  var w = window, d = document;
  if (w.__bigpipeForm || !w.fetch || !w.FormData || !w.URLSearchParams) return;
  w.__bigpipeForm = true;
  var ID = "_submission", seq = 0;

  function forms() {
    var fs = d.querySelectorAll("form[data-bigpipe-form]");
    for (var i = 0; i < fs.length; i++) fs[i].setAttribute("data-bigpipe-enhanced", "");
  }
  forms();
  if (d.readyState === "loading") d.addEventListener("DOMContentLoaded", forms);

  // One listener for every form, those a pagelet or a live update adds later too.
  d.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.hasAttribute || !form.hasAttribute("data-bigpipe-form") || e.defaultPrevented) return;
    e.preventDefault();
    if (form.getAttribute("aria-busy") === "true") return; // a double click: the first is on its way
    var data = new FormData(form);
    if (e.submitter && e.submitter.name) data.append(e.submitter.name, e.submitter.value);
    send(form, new URLSearchParams(data).toString(), 1);
  });

  // headers are a post's: JSON asked for, and the page's live connection
  // named (live.ClientHeader), so that what the post publishes can leave
  // out the tab that shows its result already.
  function headers() {
    var h = { Accept: "application/json", "Content-Type": "application/x-www-form-urlencoded" };
    var live = w.bigPipe && w.bigPipe.liveState;
    if (live && live.client) h["X-Bigpipe-Live-Client"] = live.client;
    return h;
  }

  function send(form, body, attempt) {
    form.setAttribute("aria-busy", "true");
    status(form, "Sending…");
    w.fetch(form.action, {
      method: "POST", body: body, credentials: "same-origin",
      headers: headers()
    }).then(function (res) {
      if (attempt < 3 && (res.status === 502 || res.status === 503 || res.status === 504)) throw res;
      return res.json().then(function (j) { return { res: res, j: j }; }, function () { return { res: res, j: {} }; });
    }).then(function (r) {
      form.removeAttribute("aria-busy");
      if (r.j.ok) return success(form, r.j);
      show(form, r.j.error || "The form was not sent (error " + r.res.status + ").", r.j.fields || {});
    }, function () {
      // The network or a gateway failed: the same body, so the same
      // submission id, and the server runs it once.
      if (attempt < 3) {
        status(form, "Connection lost; trying again…");
        w.setTimeout(function () { send(form, body, attempt + 1); }, 1000 * attempt);
        return;
      }
      form.removeAttribute("aria-busy");
      show(form, "The form could not be sent. Check your connection and try again.", {});
    });
  }

  function success(form, j) {
    if (j.redirect) { w.location.assign(j.redirect); return; }
    clear(form);
    var keep = [], els = form.elements, i;
    for (i = 0; i < els.length; i++) if (els[i].hasAttribute("data-bigpipe-keep")) keep.push([els[i], els[i].value]);
    form.reset();
    for (i = 0; i < keep.length; i++) keep[i][0].value = keep[i][1];
    if (els[ID]) els[ID].value = newID();
    status(form, j.message || "");
    form.dispatchEvent(new CustomEvent("bigpipe:form-success", { bubbles: true, detail: { data: j.data, message: j.message } }));
  }

  // show marks each field of fields with its message and puts msg in the
  // form's alert; the values are left as typed.
  function show(form, msg, fields) {
    clear(form);
    status(form, "");
    var first = null;
    for (var name in fields) {
      var el = form.elements[name];
      if (el && !el.nodeName && el.length) el = el[0]; // a radio group
      if (!el || !el.setAttribute) continue;
      var p = d.createElement("span");
      p.className = "bigpipe-form__error";
      p.id = (el.id || "bpf" + (++seq) + "-" + name) + "-error";
      p.setAttribute("data-bigpipe-error", "");
      p.textContent = fields[name];
      el.parentNode.insertBefore(p, el.nextSibling);
      el.setAttribute("aria-invalid", "true");
      var by = el.getAttribute("aria-describedby");
      el.setAttribute("data-bigpipe-describedby", by === null ? "-" : by);
      el.setAttribute("aria-describedby", (by ? by + " " : "") + p.id);
      if (!first) first = el;
    }
    var a = form.querySelector("[data-bigpipe-form-alert]");
    if (!a) {
      a = d.createElement("div");
      a.className = "bigpipe-form__alert";
      a.setAttribute("data-bigpipe-form-alert", "");
      form.insertBefore(a, form.firstChild);
    }
    a.setAttribute("role", "alert");
    a.textContent = msg;
    if (first) first.focus();
  }

  // clear undoes what show did.
  function clear(form) {
    var ps = form.querySelectorAll("[data-bigpipe-error]"), i;
    for (i = 0; i < ps.length; i++) ps[i].parentNode.removeChild(ps[i]);
    var els = form.querySelectorAll("[data-bigpipe-describedby]");
    for (i = 0; i < els.length; i++) {
      var by = els[i].getAttribute("data-bigpipe-describedby");
      if (by === "-") els[i].removeAttribute("aria-describedby"); else els[i].setAttribute("aria-describedby", by);
      els[i].removeAttribute("data-bigpipe-describedby");
      els[i].removeAttribute("aria-invalid");
    }
    var a = form.querySelector("[data-bigpipe-form-alert]");
    if (a) a.textContent = "";
  }

  function status(form, text) {
    var s = form.querySelector("[data-bigpipe-form-status]");
    if (s) s.textContent = text;
  }

  function newID() {
    var c = w.crypto;
    if (c.randomUUID) return c.randomUUID();
    var a = new Uint8Array(16);
    c.getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }
})();
