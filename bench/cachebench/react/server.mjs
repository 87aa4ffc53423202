// React's streaming server rendering the /bench page: six pagelets, each
// a Suspense boundary whose data is ready at once (the zero-delay page),
// streamed by renderToPipeableStream, nothing cached between requests
// (React has no such cache). The cache bench's limit part (../limit.go)
// loads it beside the Go server's pages. It prints "listening HOST:PORT"
// once it serves on 127.0.0.1, and exits when its standard input closes.
// Run with NODE_ENV=production (React's development build is far slower).
import { createServer } from "node:http";
import { readFileSync } from "node:fs";
import { createElement as h, Suspense, use } from "react";
import { renderToPipeableStream } from "react-dom/server";

const css = readFileSync(new URL("./bench.css", import.meta.url), "utf8");
const pagelets = 6;

// Pagelet is pagelet pI's content, once its data (a promise) is ready.
function Pagelet({ i, data }) {
  const d = use(data);
  return h("div", { className: "bench-body" },
    h("p", { className: "bench-marker" }, `PAGELET-p${i}-READY`),
    h("p", null, `Data for this pagelet took ${d} to fetch. Until then its placeholder held its place.`));
}

function Placeholder() {
  return h("div", { className: "bench-body" },
    h("span", { className: "skeleton-line" }),
    h("span", { className: "skeleton-line short" }));
}

function Page() {
  const cards = [];
  for (let i = 0; i < pagelets; i++) {
    const data = Promise.resolve("0s"); // a backend that answers at once, per request
    cards.push(h("section", { key: i, className: "bench-card", "aria-labelledby": `p${i}-title` },
      h("h2", { id: `p${i}-title` }, `Pagelet p${i} (0s)`),
      h("div", { id: `p${i}`, className: "pagelet", "aria-live": "polite" },
        h(Suspense, { fallback: h(Placeholder) }, h(Pagelet, { i, data })))));
  }
  return h("html", { lang: "en" },
    h("head", null,
      h("meta", { charSet: "utf-8" }),
      h("meta", { name: "viewport", content: "width=device-width, initial-scale=1" }),
      h("title", null, "BigPipe benchmark"),
      h("style", { dangerouslySetInnerHTML: { __html: css } })),
    h("body", null,
      h("header", { className: "bench-head" },
        h("h1", null, "BigPipe benchmark"),
        h("p", null, `${pagelets} pagelets; each becomes ready after its own delay.`)),
      h("main", { className: "bench-grid" }, cards)));
}

const server = createServer((req, res) => {
  let failed = false;
  const stream = renderToPipeableStream(h(Page), {
    onShellReady() {
      res.statusCode = failed ? 500 : 200;
      res.setHeader("Content-Type", "text/html; charset=utf-8");
      stream.pipe(res);
    },
    onShellError() {
      res.statusCode = 500;
      res.setHeader("Content-Type", "text/plain; charset=utf-8");
      res.end("500 the shell failed\n");
    },
    onError(err) {
      failed = true;
      console.error(err);
    },
  });
});
server.keepAliveTimeout = 120_000;
server.listen(0, "127.0.0.1", () => {
  const a = server.address();
  process.stdout.write(`listening ${a.address}:${a.port}\n`);
});
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
