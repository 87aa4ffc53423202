// front.mjs visits the demo's front page in Firefox the way the bench's
// measureFrontPage does in Chromium (bench/frontpage.go): pipelined and as
// plain HTML (?nojs=1), cold (a browser context of its own, cache off) and
// warm (the second load in one context, cache on), interleaved and rotated
// after one unreported visit, with the bench's own probe installed before
// the page's scripts, which says when each pagelet was displayed (Firefox
// has no Element Timing: there, the first animation frame that renders it,
// no earlier than FCP). It prints medians in ms.
//
//   go run ./bench -front-probe > /tmp/probe.js
//   npm ci && node front.mjs http://127.0.0.1:8080 15 /tmp/probe.js
import puppeteer from 'puppeteer-core';
import fs from 'node:fs';
const [base, runsArg, probeFile] = process.argv.slice(2);
if (!base || !probeFile) {
  console.error("usage: node front.mjs BASE_URL RUNS PROBE_FILE (the probe: go run ./bench -front-probe > PROBE_FILE)");
  process.exit(2);
}
const runs = Number(runsArg || 9);
const probe = fs.readFileSync(probeFile, 'utf8');
const browser = await puppeteer.launch({ browser: 'firefox', executablePath: process.env.FIREFOX || '/usr/bin/firefox-esr', headless: true });
const kinds = [['pipelined', 'cold'], ['plain', 'cold'], ['pipelined', 'warm'], ['plain', 'warm']];
const url = (mode, measured) => {
  const q = []; if (mode === 'plain') q.push('nojs=1'); if (measured) q.push('visit=2');
  return base + '/' + (q.length ? '?' + q.join('&') : '');
};
async function visit(mode, kind) {
  const ctx = await browser.createBrowserContext();
  const page = await ctx.newPage();
  await page.setCacheEnabled(kind === 'warm');
  if (kind === 'warm') {
    await page.goto(url(mode, false));
    await page.waitForFunction('!window.bigPipe || window.bigPipe.done', { timeout: 10000 });
  }
  await page.evaluateOnNewDocument(probe);
  const resp = await page.goto(url(mode, kind === 'warm'));
  const mh = resp.headers()['x-bigpipe-mode'];
  const p = await page.evaluate('window.__bpFront.done');
  await ctx.close();
  if (p.errors.length) throw new Error(p.errors.join('; '));
  const shown = p.shown.filter((t) => t >= 0);
  return { mode: mh, fcp: p.fcp, first: Math.min(...shown), last: Math.max(...shown), unstyled: p.styled.filter((s) => !s).length, missing: p.shown.length - shown.length };
}
await visit('pipelined', 'cold'); // warm-up
const got = {};
for (let r = 0; r < runs; r++) for (let k = 0; k < kinds.length; k++) {
  const [mode, kind] = kinds[(k + r) % kinds.length];
  (got[mode + ' ' + kind] ??= []).push(await visit(mode, kind));
}
await browser.close();
// med is the median of xs, the mean of the middle two for an even count (the
// bench's median).
const med = (xs) => {
  const s = [...xs].sort((a, b) => a - b), n = s.length;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
};
for (const [k, vs] of Object.entries(got)) {
  console.log(`${k.padEnd(16)} runs ${vs.length} served ${vs[0].mode} fcp ${med(vs.map((v) => v.fcp)).toFixed(0)} first ${med(vs.map((v) => v.first)).toFixed(0)} last ${med(vs.map((v) => v.last)).toFixed(0)} unstyled ${vs.filter((v) => v.unstyled).length} missing ${vs.filter((v) => v.missing).length}`);
}
