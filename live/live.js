/* BigPipe live client (live/doc.go): keeps a page's live pagelets current
 * over one connection per tab, speaking centrifuge's JSON protocol over SSE
 * (default) or WebSocket. The runtime loads it after every pagelet is shown;
 * it reads bigPipe.liveCfg {src, url, token[, transport]} and bigPipe.live
 * (pagelet id -> {channel, kind, offset, epoch}; no epoch: position unknown,
 * refetched once connected). Stream items: see item().
 *
 * Transport: SSE unless liveCfg.transport, the query parameter
 * bigpipe_live_transport or <meta name="bigpipe-live-transport"> (in the
 * page's Head) says "websocket".
 * Tests: bigPipe.liveState is what it did (connects, errors, refetches,
 * publications applied and held, per channel its offset, epoch and
 * publications applied, stopped, hold); document gets bigpipe:live
 * events {type: connected|update|refetch|disconnected, ...}; with
 * bigPipe.liveHold set (or ?bigpipe_live_hold in the URL) it connects only
 * when bigPipe.liveConnect() is called. */
(function (w, d) {
  'use strict';
  const bp = w.bigPipe;
  if (!bp || !bp.liveCfg || bp.liveState) return;
  const cfg = bp.liveCfg;
  const q = new URLSearchParams(location.search);
  const meta = d.querySelector('meta[name=bigpipe-live-transport]');
  const ws = (cfg.transport || q.get('bigpipe_live_transport') || meta && meta.content) === 'websocket' && w.WebSocket;
  const st = bp.liveState = { transport: ws ? 'websocket' : 'sse', connects: 0, errors: 0, refetches: 0, applied: 0, held: 0, channels: {} };
  const chans = Object.create(null); // channel -> {epoch, ids: [pagelet ids]}
  const pls = Object.create(null);   // pagelet id -> {id, el, channel, kind, offset, hold, buf}
  let token = cfg.token;
  let conn = null;  // {close()} of the open connection, or of the attempt
  let tries = 0;    // failed attempts since the last successful connect
  let timer = 0;    // reconnect timer
  let stopped = false;
  let renewed = 0;  // fresh tokens fetched since the last successful connect
  const ops = [];   // DOM changes in arrival order, each after its CSS
  let waiting = 0;

  const fire = (type, x) => d.dispatchEvent(new CustomEvent('bigpipe:live', { detail: Object.assign({ type }, x) }));
  const warn = (m) => console.warn('bigpipe live: ' + m);
  const arr = (a) => (Array.isArray(a) ? a : []);
  // low is where channel c resumes from: its pagelet furthest behind.
  const low = (c) => Math.min.apply(null, c.ids.map((id) => pls[id].offset));
  // jitter is the wait before retry n: full jitter, 500 ms doubling up to 20 s.
  const jitter = (n) => Math.random() * Math.min(20000, 500 * 2 ** n);

  for (const id of Object.keys(bp.live)) {
    const l = bp.live[id];
    const el = d.getElementById(id);
    if (!el || !l || typeof l.channel !== 'string') continue;
    pls[id] = { id, el, channel: l.channel, kind: l.kind, offset: +l.offset || 0, buf: null, hold: null, gone: new Set() };
    const c = chans[l.channel] || (chans[l.channel] = { epoch: l.epoch, ids: [] });
    if (!l.epoch) c.epoch = ''; // position unknown: refetched once connected
    c.ids.push(id);
    st.channels[l.channel] = st.channels[l.channel] || { offset: +l.offset || 0, epoch: l.epoch, applied: 0 };
  }
  if (!Object.keys(chans).length) return;

  // run queues f to run once the stylesheets css are loaded (or failed),
  // after every change queued before it: CSS first, and order kept.
  function run(css, f) {
    ops.push([arr(css), f]);
    while (!waiting && ops.length) {
      const [urls, g] = ops.shift();
      let n = urls.length + 1, sync = true;
      waiting = 1;
      const ready = () => { if (--n) return; waiting = 0; g(); if (!sync) run([], () => {}); };
      urls.forEach((u) => bp.css(u, ready));
      ready();
      sync = false;
    }
  }

  // busy reports whether the user is in el: focus (on something inside it)
  // or a selection that touches it.
  function busy(el) {
    const a = d.activeElement, s = d.getSelection();
    return (a && a !== el && el.contains(a)) || (s && !s.isCollapsed && s.containsNode(el, true));
  }

  // parse returns html as inert nodes: a template does not run its
  // scripts. Scripts, handler attributes and javascript: URLs are dropped
  // besides, for a page without the renderer's CSP (which blocks them).
  function parse(html) {
    const t = d.createElement('template');
    t.innerHTML = typeof html === 'string' ? html : '';
    const f = t.content;
    f.querySelectorAll('script').forEach((s) => s.remove());
    f.querySelectorAll('*').forEach((e) => {
      for (const a of Array.from(e.attributes)) if (/^on/i.test(a.name) || /^\s*javascript:/i.test(a.value)) e.removeAttribute(a.name);
    });
    return f;
  }

  // replace shows html as p's whole content, unless the user is in it:
  // then it waits for flush. Only the latest waits: it supersedes the
  // items waiting behind an earlier one, which it shows already.
  function replace(p, html, after) {
    if (busy(p.el)) {
      if (!p.hold) st.held++;
      p.hold = [html, after || []];
      return;
    }
    p.el.replaceChildren(parse(html));
    (after || []).forEach((f) => f());
  }

  function flush() {
    for (const id in pls) {
      const p = pls[id], h = p.hold;
      if (h && !busy(p.el)) { p.hold = null; replace(p, h[0], h[1]); }
    }
  }
  d.addEventListener('focusout', () => setTimeout(flush));
  d.addEventListener('focusin', flush);
  d.addEventListener('selectionchange', flush);

  // item applies stream publication m to p. Without an op it adds an item,
  // once by key (and not one removed since), at the end of p's
  // [data-live-items] element ("prepend": at its start) or of p; with an
  // order, before the first item whose data-live-order is greater
  // ("prepend": smaller), so that late items take their place. Pinned items
  // ([data-live-pinned]) stay first, the latest pinned first. "replace"
  // swaps the item with m.key in place (or adds it), "remove" removes it.
  // Then at most data-live-max items are kept, dropping unpinned ones from
  // the end opposite insertion.
  function item(p, m) {
    const f = () => {
      const box = p.el.querySelector('[data-live-items]') || p.el, key = m.key, op = m.op, gone = p.gone;
      const pre = box.dataset.liveItems === 'prepend', PIN = 'data-live-pinned';
      const free = () => Array.from(box.children).filter((o) => !o.hasAttribute(PIN));
      const old = key && box.querySelector('[data-live-key="' + CSS.escape(key) + '"]');
      if (op === 'remove') { gone.add(key); if (old) old.remove(); return; }
      if (op !== 'replace' && (old || gone.has(key))) return;
      gone.delete(key);
      let n = parse(m.content);
      const order = +m.order || old && +old.dataset.liveOrder || 0;
      if (key) {
        // One element (and blanks) is the item; anything else is wrapped.
        const one = n.children.length === 1 && !Array.from(n.childNodes).some((c) => c.nodeType === 3 && c.data.trim()) && n.firstElementChild;
        const e = one || d.createElement('div');
        if (!one) e.append(n);
        e.setAttribute('data-live-key', key);
        if (order) e.setAttribute('data-live-order', order);
        if (m.pin === undefined ? old && old.hasAttribute(PIN) : m.pin) e.setAttribute(PIN, '');
        n = e;
      }
      if (old && old.hasAttribute(PIN) === n.hasAttribute(PIN)) return swap(old, n);
      if (old) old.remove();
      const rest = free();
      if (n.nodeType === 1 && n.hasAttribute(PIN)) box.prepend(n);
      else {
        const at = order && rest.find((o) => o.dataset.liveOrder && (pre ? +o.dataset.liveOrder < order : +o.dataset.liveOrder > order));
        box.insertBefore(n, at || (pre && !order ? rest[0] : null) || null);
      }
      const over = box.children.length - (box.dataset.liveMax || 1 / 0);
      if (over > 0) (pre ? free().reverse() : free()).slice(0, over).forEach((o) => o.remove());
    };
    // Behind a held replacement, an item waits for it.
    if (p.hold) p.hold[1].push(f); else f();
  }

  // swap puts n in place of old, keeping the page's scroll and the focused
  // field in old: its counterpart in n takes its value, selection and focus.
  function swap(old, n) {
    const a = d.activeElement, x = w.scrollX, y = w.scrollY, path = [];
    for (let e = a; e && e !== old && old.contains(e); e = e.parentElement) path.unshift(Array.from(e.parentElement.children).indexOf(e));
    old.replaceWith(n);
    if (path.length) {
      let e = n;
      path.forEach((i) => { e = e && e.children[i]; });
      if (e && e.tagName === a.tagName) {
        if ('value' in a) e.value = a.value;
        try { e.setSelectionRange(a.selectionStart, a.selectionEnd); } catch (_) { /* not a text field */ }
        e.focus({ preventScroll: true });
      }
    }
    w.scrollTo(x, y);
  }

  // publish applies one publication of channel to each of its pagelets
  // that has not shown it yet.
  function publish(channel, pub) {
    const c = chans[channel];
    if (!c || !pub || typeof pub.data !== 'object' || !pub.data) return;
    const off = +pub.offset || 0, data = pub.data;
    let k = 0; // pagelets that take it: the first counts it as applied
    for (const id of c.ids) {
      const p = pls[id];
      if (p.buf) { p.buf.push(pub); continue; } // being refetched
      if (off && off <= p.offset) continue;
      if (off) p.offset = off;
      const first = !k++;
      run(data.css, () => {
        if (p.kind === 'stream') item(p, data); else replace(p, data.content);
        const s = st.channels[channel];
        if (first) { s.applied++; st.applied++; }
        if (off > s.offset) s.offset = off;
        fire('update', { channel, id, offset: off });
      });
    }
  }

  // refetch fetches pagelet p afresh (its content, position and a fresh
  // token) and shows it; publications meanwhile wait in p.buf. A failure
  // is retried with backoff, unless the client stopped meanwhile. A
  // pagelet the page no longer has (404) keeps what it shows, and leaves
  // its channel as one the page no longer has live does (its reader
  // signed out, say). A page refused to its reader (401, 403) stops the
  // client.
  function refetch(p) {
    if (p.buf) return p.wait;
    p.buf = [];
    st.refetches++;
    fire('refetch', { id: p.id, channel: p.channel });
    const u = location.pathname + location.search + (location.search ? '&' : '?') + 'bigpipe_fragment=' + encodeURIComponent(p.id);
    let n = 0;
    const get = () => fetch(u, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then((r) => { if (r.status === 404) return {}; if (r.status === 401 || r.status === 403) return stop(r.status, r.statusText), {}; if (!r.ok) throw Error(); return r.json(); })
      .catch(() => stopped ? {} : new Promise((r) => setTimeout(r, jitter(n++))).then(() => stopped ? {} : get()));
    return p.wait = get().then((f) => {
      if (stopped) return;
      if (typeof f.token === 'string' && f.token) token = f.token;
      const l = f.live, buf = p.buf, c = chans[p.channel];
      p.buf = null;
      if (l && l.channel === p.channel) { p.offset = +l.offset || 0; c.epoch = l.epoch; }
      else if (delete pls[p.id], !(c.ids = c.ids.filter((i) => i !== p.id)).length) delete chans[p.channel];
      if (typeof f.content === 'string') {
        run(f.css, () => {
          replace(p, f.content);
          const s = st.channels[p.channel];
          if (p.offset > s.offset || s.epoch !== c.epoch) s.offset = p.offset;
          s.epoch = c.epoch;
          fire('update', { channel: p.channel, id: p.id, offset: p.offset, refetch: true });
        });
      } else warn('no pagelet ' + p.id);
      buf.forEach((pub) => publish(p.channel, pub));
    });
  }

  function schedule() {
    if (stopped || timer) return;
    timer = setTimeout(() => { timer = 0; connect(); }, jitter(tries++));
  }

  // drop ends the connection and decides what follows from code (a
  // centrifuge disconnect or error code; 0 for a network failure).
  // temp marks an error the server calls temporary.
  function drop(code, reason, temp) {
    if (conn) { conn.close(); conn = null; }
    st.errors++;
    fire('disconnected', { code, reason });
    if (code === 109 || code === 3005 || code === 3500) {
      // The token expired, or another secret signed it (a restart without
      // a shared one, a deploy): the page's fragment endpoint gives a fresh
      // one, for what the page grants its reader now. Refetched: the
      // pagelets of the reader's own channels (gone if they signed out)
      // and of the first channel; connecting recovers or refetches the
      // rest. The first time it connects at once, then with backoff.
      const first = Object.keys(chans)[0];
      Promise.all(Object.values(pls).filter((p) => p.channel === first || p.channel.includes('#')).map(refetch))
        .then(() => renewed++ ? schedule() : connect());
    } else if (!temp && (code > 100 && code < 3000 && code !== 111 || code >= 3500 && code < 4000 || code >= 4500 && code < 5000)) {
      stop(code, reason);
    } else schedule();
  }

  // stop ends live updates for good and says so on the page as well as
  // in the console: code 401 (the page refused) or 4501 (the session
  // ended) means the reader signed out.
  function stop(code, reason) {
    if (stopped) return;
    stopped = st.stopped = true;
    warn('stopped: ' + code + ' ' + reason);
    const n = d.createElement('div');
    n.role = 'alert';
    n.className = 'bigpipe-live-stopped';
    n.textContent = (code === 401 || code === 4501 ? 'Signed out: l' : 'L') + 'ive updates stopped. Reload the page.';
    n.style.cssText = 'position:fixed;bottom:0;padding:.5em;background:#ffd;color:#000';
    d.body.append(n);
  }

  // connected handles the connect reply: positions adopted, what was
  // missed applied, or refetched when it cannot be recovered.
  function connected(r) {
    tries = renewed = 0;
    st.connects++;
    st.client = r.client;
    const subs = r.subs || {};
    for (const ch in chans) {
      const s = subs[ch] || {}, c = chans[ch], t = st.channels[ch];
      // In sync: recovered, or nothing published since (a state channel
      // without any publication is not "recovered"). An unknown position
      // (no epoch) is never in sync.
      if (c.epoch && (s.recovered || s.epoch === c.epoch && (+s.offset || 0) === low(c))) {
        if (s.epoch !== c.epoch) { // a state channel's latest, from a new epoch
          c.ids.forEach((id) => { pls[id].offset = 0; });
          c.epoch = t.epoch = s.epoch;
          t.offset = 0;
        }
        const pubs = arr(s.publications);
        // For state only the latest counts.
        pubs.slice(c.ids.every((id) => pls[id].kind !== 'stream') ? -1 : 0).forEach((pub) => publish(ch, pub));
      } else {
        // The epoch is adopted from the refetched pagelet, with the offset
        // that goes with it.
        c.ids.forEach((id) => refetch(pls[id]));
      }
    }
    fire('connected', { transport: st.transport });
  }

  // message handles one line the server sent.
  function message(m, send) {
    if (!m) return;
    if (m.id === 1) {
      if (m.error) return drop(m.error.code, m.error.message, m.error.temporary);
      if (m.connect) return connected(m.connect);
    }
    const push = m.push;
    if (push) {
      if (push.pub) publish(push.channel, push.pub);
      else if (push.disconnect) drop(push.disconnect.code, push.disconnect.reason);
    } else if (m.disconnect) drop(m.disconnect.code, m.disconnect.reason);
    else if (!m.id && send) send('{}'); // a ping: WebSocket answers it
  }

  function connect() {
    if (stopped || conn || !Object.keys(chans).length) return;
    if (bp.liveHold) { st.hold = true; return; }
    st.hold = false;
    const subs = {};
    for (const ch in chans) {
      const c = chans[ch];
      subs[ch] = { recover: !!c.epoch, offset: low(c), epoch: c.epoch || '' }; // unknown: nothing to recover
    }
    const cmd = JSON.stringify({ id: 1, connect: { token, name: 'bigpipe', subs } });
    const self = {};
    let idle = 0, ping = 25;
    // Nothing heard for a ping interval and a margin: the connection is dead.
    const alive = () => { clearTimeout(idle); idle = setTimeout(() => self === conn && drop(0, 'no ping'), (ping + 10) * 1000); };
    const lines = (data, send) => {
      if (self !== conn) return;
      alive();
      for (const line of String(data).split('\n')) {
        if (!line.trim()) continue;
        let m;
        try { m = JSON.parse(line); } catch (e) { return drop(0, 'bad message'); }
        if (m && m.connect && m.connect.ping) ping = m.connect.ping;
        message(m, send);
        if (self !== conn) return;
      }
    };
    const gone = (code, reason) => { if (self === conn) drop(code, reason); };
    conn = self;
    alive();
    if (ws) {
      const u = new URL(cfg.url + 'ws', location.href);
      u.protocol = u.protocol.replace('http', 'ws');
      const s = new WebSocket(u);
      self.close = () => { clearTimeout(idle); s.close(); };
      s.onopen = () => s.send(cmd);
      s.onmessage = (e) => lines(e.data, (x) => s.send(x));
      s.onclose = (e) => gone(e.code >= 3000 ? e.code : 0, e.reason);
    } else {
      const s = new EventSource(cfg.url + 'sse?cf_connect=' + encodeURIComponent(cmd));
      self.close = () => { clearTimeout(idle); s.close(); };
      s.onmessage = (e) => lines(e.data);
      // EventSource would reconnect by itself, with the old positions.
      s.onerror = () => gone(0, 'connection lost');
    }
  }

  // A page put in the back/forward cache is read by no one: it closes its
  // connection (the server counts one reader fewer and holds nothing for
  // it), and connects again when shown, recovering what it missed.
  w.addEventListener('pagehide', (e) => e.persisted && conn && (conn.close(), conn = null));
  w.addEventListener('pageshow', (e) => e.persisted && connect());

  bp.liveConnect = () => { bp.liveHold = false; connect(); };
  if (q.has('bigpipe_live_hold')) bp.liveHold = true;
  connect();
})(window, document);
