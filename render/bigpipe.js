/* BigPipe client runtime (design/bigpipe.md, "The client runtime").
 * Server calls: bigPipe.setup({resources, pagelets, js, shown}) once, then
 * bigPipe.onPageletArrive({id, content, css, js, styles, resource_map, live, head}) per pagelet.
 * A page with live pagelets gets setup({..., live: {src, url, token}}): the live
 * client at src loads with the page's JS, reads bigPipe.live (pagelet id ->
 * {channel, kind, offset, epoch}) and reuses bigPipe.css to apply CSS first.
 * Pagelets the skeleton placed in their slots (ready before it was written)
 * come in setup's shown ([{id, css, js, live}]); <head> applied their css.
 * In the native mode each later pagelet is a <template for=slot> the parser
 * patches, followed by bigPipe.onPageletPatched({id, slot, css, js, live}). */
(function (w, d) {
  'use strict';
  if (w.bigPipe) return;
  const cur = d.currentScript;
  const nonce = (cur && cur.nonce) || '';
  const res = Object.create(null);    // resource id -> {type, url}
  const sheets = Object.create(null); // CSS url -> callbacks waiting, or true once loaded
  const js = [];                      // JS urls collected until the barrier
  let state = null;                   // pagelet id -> 1 declared, 2 arrived
  let left = 0;                       // declared pagelets not yet shown
  const bp = { shown: [], jsLoaded: [], done: false, live: Object.create(null) };

  const warn = (msg) => console.warn('bigpipe: ' + msg);
  const fire = (name, detail) => d.dispatchEvent(new CustomEvent('bigpipe:' + name, { detail }));
  const list = (a) => (Array.isArray(a) ? a : []);

  // Merge a resource map; an id already known keeps its url.
  function addRes(map) {
    if (!map || typeof map !== 'object') return;
    for (const id of Object.keys(map)) {
      const r = map[id];
      if (!res[id] && r && typeof r.url === 'string') res[id] = r;
    }
  }

  function urls(ids, type) {
    return list(ids).filter((id) => {
      const r = res[id];
      if (r && r.type === type) return true;
      warn('unknown ' + type + ' resource ' + id);
    }).map((id) => res[id].url);
  }

  // Append a <link> or <script>; done(ok) runs on load or error.
  function load(tag, url, done) {
    const el = d.createElement(tag);
    el.addEventListener('load', () => done(true));
    el.addEventListener('error', () => done(false));
    if (nonce) el.nonce = nonce;
    if (tag === 'link') { el.rel = 'stylesheet'; el.href = url; } else { el.async = true; el.src = url; }
    (d.head || d.documentElement).appendChild(el);
  }

  // cb runs once the stylesheet has loaded or failed; one <link> per file.
  function css(url, cb) {
    const s = sheets[url];
    if (s === true) return cb();
    if (s) return s.push(cb);
    const cbs = sheets[url] = [cb];
    load('link', url, () => {
      if (sheets[url] === true) return;
      sheets[url] = true;
      cbs.forEach((f) => f());
    });
  }

  // Apply the stylesheets a payload carries inline ({resource id: text}; the
  // server sends each once per page, with the first pagelet to need it):
  // a <style> applies as it is inserted, so the pagelet waits on nothing.
  function inline(styles) {
    if (!styles || typeof styles !== 'object') return;
    for (const id of Object.keys(styles)) {
      const r = res[id];
      if (!r || r.type !== 'css' || typeof styles[id] !== 'string' || sheets[r.url] === true) continue;
      const el = d.createElement('style');
      if (nonce) el.nonce = nonce;
      el.dataset.href = r.url; // the file it stands for, for DevTools and tests
      el.textContent = styles[id];
      (d.head || d.documentElement).appendChild(el);
      const waiting = sheets[r.url];
      sheets[r.url] = true;
      if (waiting) waiting.forEach((f) => f());
    }
  }

  function show(el, id, html) {
    const tpl = d.createElement('template');
    tpl.innerHTML = typeof html === 'string' ? html : ''; // scripts parsed here stay inert
    const focused = el.contains(d.activeElement);
    el.replaceChildren(tpl.content);
    el.setAttribute('data-bigpipe', 'shown');
    el.setAttribute('aria-busy', 'false');
    if (focused) {
      if (!el.hasAttribute('tabindex')) el.tabIndex = -1;
      el.focus({ preventScroll: true });
    }
    shown(id);
  }

  // Record pagelet id as shown (how: placed or patched, if not by show).
  function shown(id, how) {
    bp.shown.push(how ? { id, t: performance.now(), [how]: true } : { id, t: performance.now() });
    performance.mark('bigpipe:shown:' + id);
    fire('shown', { id });
    settle();
  }

  // accept checks a pagelet's call (p, its id declared and not yet in) and
  // takes what it carries besides content; false: ignore the call.
  function accept(p) {
    if (!p || typeof p !== 'object' || typeof p.id !== 'string') return warn('bad payload'), false;
    const id = p.id;
    if (!state) return warn('pagelet before setup: ' + id), false;
    if (state[id] !== 1) return warn('undeclared or repeated pagelet: ' + id), false;
    state[id] = 2;
    // Server-side times of a pagelet sent after the first byte (Server-Timing
    // covers the rest): visible in DevTools' Performance panel.
    if (p.timing && typeof p.timing === 'object') performance.mark('bigpipe:arrive:' + id, { detail: p.timing });
    if (p.live && typeof p.live.channel === 'string') bp.live[id] = p.live;
    if (p.head && typeof p.head === 'object') applyHead(p.head);
    collectJs(p.js);
    return true;
  }

  // applyHead applies what a pagelet decided of the document's head: the
  // title, each meta tag updated in place (or added), the canonical link,
  // and JSON-LD added as data (a script element of that type never runs).
  function applyHead(h) {
    const head = d.head;
    if (typeof h.title === 'string') d.title = h.title;
    for (const m of list(h.meta)) {
      const k = m && (typeof m.property === 'string' ? 'property' : 'name');
      if (!k || typeof m[k] !== 'string' || typeof m.content !== 'string') continue;
      let el = head.querySelector('meta[' + k + '="' + CSS.escape(m[k]) + '"]');
      if (!el) { el = d.createElement('meta'); el.setAttribute(k, m[k]); head.append(el); }
      el.setAttribute('content', m.content);
    }
    if (typeof h.canonical === 'string') {
      let l = head.querySelector('link[rel="canonical"]');
      if (!l) { l = d.createElement('link'); l.rel = 'canonical'; head.append(l); }
      l.href = h.canonical;
    }
    for (const j of list(h.jsonld)) {
      const s = d.createElement('script');
      s.type = 'application/ld+json';
      s.textContent = JSON.stringify(j);
      head.append(s);
    }
  }

  // One declared pagelet is finished; the last one opens the JS barrier.
  function settle() { if (--left === 0) barrier(); }

  // barrier opens the JS barrier once the frame that shows the last pagelet
  // is painted (see afterPaint), then downloads all JS in parallel; async
  // scripts run in download-completion order, and their load event fires
  // right after they ran.
  function barrier() {
    afterPaint(() => {
      fire('barrier');
      if (bp.liveCfg) js.push(bp.liveCfg.src);
      let n = js.length;
      const finish = () => { bp.done = true; fire('done'); };
      if (!n) return finish();
      js.forEach((url) => load('script', url, (ok) => {
        bp.jsLoaded.push(ok ? { url, t: performance.now() } : { url, t: performance.now(), error: true });
        if (--n === 0) finish();
      }));
    });
  }

  // afterPaint runs f after the next frame is painted: the pagelet JS and the
  // live client the barrier starts would otherwise run before that frame and
  // hold up its paint (15–30 ms of a warm front-page visit). A hidden
  // document paints no frame: f then runs at once, or when the document is
  // hidden before its frame came.
  function afterPaint(f) {
    let ran = false;
    const run = () => { if (!ran) { ran = true; f(); } };
    if (d.visibilityState === 'hidden') return run();
    d.addEventListener('visibilitychange', run, { once: true });
    requestAnimationFrame(() => setTimeout(run, 0));
  }

  function collectJs(ids) {
    for (const u of urls(ids, 'js')) if (js.indexOf(u) < 0) js.push(u);
  }

  bp.setup = function (cfg) {
    if (state) return warn('setup called twice');
    cfg = cfg || {};
    state = Object.create(null);
    addRes(cfg.resources);
    for (const id of list(cfg.pagelets)) {
      if (typeof id === 'string' && !state[id]) { state[id] = 1; left++; }
    }
    collectJs(cfg.js);
    if (cfg.live && typeof cfg.live.src === 'string') bp.liveCfg = cfg.live;
    if (!left) return barrier();
    // Pagelets placed by the skeleton: the last one shown opens the barrier.
    for (const p of list(cfg.shown)) {
      if (!accept(p)) continue;
      for (const u of urls(p.css, 'css')) sheets[u] = true; // applied by <head>
      shown(p.id, 'placed');
    }
  };

  bp.onPageletArrive = function (p) {
    if (!accept(p)) return;
    const id = p.id;
    const el = d.getElementById(id);
    // A missing placeholder is skipped but still counts toward the barrier.
    if (!el) { warn('no element for pagelet: ' + id); return settle(); }
    addRes(p.resource_map);
    inline(p.styles);
    // Start every CSS download, then reveal once the last is done
    // (synchronously if there is none or all are loaded already).
    const cssUrls = urls(p.css, 'css');
    let n = cssUrls.length + 1;
    const ready = () => { if (--n === 0) show(el, id, p.content); };
    cssUrls.forEach((u) => css(u, ready));
    ready();
  };

  // Native mode: the parser patched the pagelet's <template for=slot> into
  // its slot (its CSS, linked before it, is in: this parser-inserted script
  // waited for it). A browser that did not patch left the template in
  // <body>: its content takes the placeholder's place here.
  bp.onPageletPatched = function (p) {
    if (!accept(p)) return;
    const id = p.id;
    for (const u of urls(p.css, 'css')) sheets[u] = true;
    let el = d.getElementById(id);
    const tpl = el && el.getAttribute('data-bigpipe') !== 'shown' && typeof p.slot === 'string' &&
      d.querySelector('template[for="' + CSS.escape(p.slot) + '"]');
    if (tpl) {
      el.replaceWith(tpl.content);
      tpl.remove();
      el = d.getElementById(id);
      bp.unpatched = (bp.unpatched || 0) + 1;
    }
    if (!el || el.getAttribute('data-bigpipe') !== 'shown') { warn('pagelet not patched: ' + id); return settle(); }
    shown(id, 'patched');
  };

  bp.css = css;
  w.bigPipe = bp;
})(window, document);
