// Installed with Page.addScriptToEvaluateOnNewDocument, so it runs before any
// script of the page. Whenever a pagelet is revealed (its data-bigpipe
// attribute becomes "shown", or, placed by the skeleton, it can first be
// painted) it records, in the same task as the reveal, which
// stylesheets are applied and how the pagelet's root element (class pl-ID) is
// styled: window.__reveals.
(() => {
  'use strict';
  // A stylesheet's file: its href, or for a <style> the runtime filled from
  // a payload, the file it stands for (data-href).
  const sheetHref = (s) => s.href || (s.ownerNode && s.ownerNode.dataset && s.ownerNode.dataset.href
    ? new URL(s.ownerNode.dataset.href, location.href).href : '');
  const reveals = (window.__reveals = []);

  const ruleCount = (sheet) => {
    try {
      return sheet.cssRules.length;
    } catch (e) {
      return -1; // unreadable (cross-origin): treat as not applied
    }
  };

  // The rule whose selector is exactly ".pl-ID", as declared in its sheet.
  const rootRule = (id) => {
    for (const sheet of document.styleSheets) {
      if (ruleCount(sheet) <= 0) continue;
      for (const rule of sheet.cssRules) {
        if (rule.selectorText === '.pl-' + id) {
          return {
            href: sheetHref(sheet),
            style: rule.style.getPropertyValue('border-top-style'),
            color: rule.style.getPropertyValue('border-top-color'),
          };
        }
      }
    }
    return null;
  };

  const record = (el, placed) => {
    const root = el.querySelector('.pl-' + CSS.escape(el.id));
    const cs = root && getComputedStyle(root); // forces style with what is loaded now
    reveals.push({
      id: el.id,
      t: performance.now(),
      placed,
      sheets: Array.from(document.styleSheets, (s) => ({ href: sheetHref(s), rules: ruleCount(s) })),
      rule: rootRule(el.id),
      computed: cs ? { style: cs.borderTopStyle, color: cs.borderTopColor } : null,
    });
  };

  // recordPlaced records a pagelet the skeleton placed (or the browser
  // patched) at the first frame that paints it with its content: the
  // parser may add the content in a later task than the container (a
  // patched pagelet, on a loaded machine), and a frame in between shows an
  // empty container, not an unstyled one. After frames frames it records
  // whatever is there.
  const recordPlaced = (el, frames) => requestAnimationFrame(() => {
    if (frames > 0 && !el.querySelector('.pl-' + CSS.escape(el.id))) {
      recordPlaced(el, frames - 1);
      return;
    }
    record(el, true);
  });

  new MutationObserver((records) => {
    for (const r of records) {
      if (r.type === 'childList') {
        // A pagelet the skeleton placed is parsed already shown: it is
        // recorded at the first frame that can paint it (a document whose
        // stylesheets still block rendering runs no animation frame), once
        // the parser has added its content too.
        for (const el of r.addedNodes) {
          if (el.nodeType === 1 && el.classList.contains('pagelet') && el.getAttribute('data-bigpipe') === 'shown') {
            recordPlaced(el, 120);
          }
        }
        continue;
      }
      const el = r.target;
      if (el.getAttribute('data-bigpipe') !== 'shown' || r.oldValue === 'shown') continue;
      record(el, false);
    }
  }).observe(document, {
    subtree: true,
    childList: true,
    attributes: true,
    attributeOldValue: true,
    attributeFilter: ['data-bigpipe'],
  });
})();
