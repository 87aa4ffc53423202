// The live bench's socket.io server: what the NestJS seed's gateway does
// for one-to-one delivery, per-user rooms across instances through the
// Redis adapter. Run by bench/livebench/socketio.go, never by hand:
//
//   REDIS_URL=redis://127.0.0.1:PORT node server.js
//
// It listens on a free loopback port and writes "listening 127.0.0.1:PORT"
// on stdout; it ends when its standard input closes (the bench ended it or
// died). Routes:
//
//   GET  /inbox?user=ID           the recipient's page: the socket.io client, joined to room ID,
//                                 appends <p class="bench-live" data-seq data-sent> per message
//   POST /message?to=ID&seq=N&sent=NS
//                                 io.to(ID).emit("msg", {seq, sent}); 204
//
// On connection a socket joins the room named by its handshake's user
// (socket.join(userId)), as the seed does with the user id from its token.
"use strict";
const http = require("http");
const { Server } = require("socket.io");
const { createAdapter } = require("@socket.io/redis-adapter");
const { createClient } = require("redis");

const page = (user) => `<!doctype html><html><head><meta charset="utf-8"><title>inbox</title></head>
<body><main><h1>inbox</h1><ul id="items"></ul></main>
<script src="/socket.io/socket.io.min.js"></script>
<script>
const items = document.getElementById("items");
const socket = io({ auth: { user: ${JSON.stringify(user)} } });
socket.on("msg", (m) => {
  const p = document.createElement("p");
  p.className = "bench-live";
  p.dataset.seq = String(m.seq);
  p.dataset.sent = String(m.sent);
  p.textContent = "message " + m.seq;
  items.append(p);
});
</script></body></html>`;

async function main() {
  const pub = createClient({ url: process.env.REDIS_URL });
  const sub = pub.duplicate();
  await Promise.all([pub.connect(), sub.connect()]);
  let io;
  const server = http.createServer((req, res) => {
    const u = new URL(req.url, "http://x");
    if (req.method === "GET" && u.pathname === "/inbox") {
      res.writeHead(200, { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" });
      res.end(page(u.searchParams.get("user") || ""));
      return;
    }
    if (req.method === "POST" && u.pathname === "/message") {
      req.resume();
      const to = u.searchParams.get("to");
      const seq = Number(u.searchParams.get("seq"));
      const sent = u.searchParams.get("sent");
      if (!to || !Number.isInteger(seq) || !/^[0-9]+$/.test(sent || "")) {
        res.writeHead(400).end("want to, seq and sent");
        return;
      }
      io.to(to).emit("msg", { seq, sent });
      res.writeHead(204).end();
      return;
    }
    res.writeHead(404).end("not found");
  });
  io = new Server(server, { adapter: createAdapter(pub, sub) });
  io.on("connection", (socket) => {
    const user = socket.handshake.auth && socket.handshake.auth.user;
    if (typeof user === "string" && user !== "") socket.join(user);
  });
  server.listen(0, "127.0.0.1", () => {
    const a = server.address();
    process.stdout.write(`listening ${a.address}:${a.port}\n`);
  });
  process.stdin.resume();
  process.stdin.on("end", () => {
    io.close();
    Promise.allSettled([pub.quit(), sub.quit()]).then(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  });
}

main().catch((err) => {
  process.stderr.write(String(err && err.stack || err) + "\n");
  process.exit(1);
});
