// Installed with Page.addScriptToEvaluateOnNewDocument. It records when each
// onPageletArrive call happens, by wrapping the runtime's function as soon as
// the runtime assigns window.bigPipe: window.__arrivals = [{id, t}]. It
// changes nothing else. The tests use it to tell a payload that arrived late
// from one that arrived on time but was revealed late.
(() => {
  'use strict';
  const arrivals = (window.__arrivals = []);
  let bp;
  Object.defineProperty(window, 'bigPipe', {
    configurable: true,
    enumerable: true,
    get: () => bp,
    set: (v) => {
      bp = v;
      if (!v || typeof v.onPageletArrive !== 'function') return;
      const arrive = v.onPageletArrive;
      v.onPageletArrive = function (p) {
        arrivals.push({ id: p && typeof p === 'object' ? String(p.id) : '?', t: performance.now() });
        return arrive.apply(this, arguments);
      };
    },
  });
})();
