// The idle section's clients, in their own process (each process may hold only as many sockets
// as its open-file limit): COUNT raw HTTP/1.1 connections to ringside that stay open.
//
//   deno run -A scripts/bench/_idle_clients.ts ORIGIN receivers COUNT PREFIX
//       GET /api/v1/pipe/PREFIX-i for i < COUNT: waiting receivers, one per pipe
//   deno run -A scripts/bench/_idle_clients.ts ORIGIN spectators COUNT PREFIX PIPES
//       GET /api/v1/pipe/PREFIX-(i % PIPES)?progress: SSE spectators; ready at their `state`
//
// Prints `connected {…}` once every connection is open (and, for spectators, has its first
// event), `status {…}` on SIGUSR1, and one `ended {…}` line per connection that ends: how it
// ended, its HTTP status, the bytes it got, and whether an SSE `done` came. Every request asks
// `Connection: close`, so a response's end is the socket's.

const [origin, kind, countText, prefix, pipesText] = Deno.args;
if (!origin || (kind !== "receivers" && kind !== "spectators") || !countText || !prefix) {
  console.error("usage: _idle_clients.ts ORIGIN receivers|spectators COUNT PREFIX [PIPES]");
  Deno.exit(2);
}
const count = Number(countText);
const pipes = Number(pipesText ?? "1");
const { hostname, port } = new URL(origin);
const encoder = new TextEncoder();

interface Connection {
  index: number;
  pipe: string;
  status: number | null;
  bytes: number;
  head: string;
  done: boolean;
  ended: "eof" | "error" | null;
}

const connections: Connection[] = [];
const firstEvent = new Map<number, () => void>();

function request(pipe: string): string {
  const path = kind === "spectators" ? `/api/v1/pipe/${pipe}?progress` : `/api/v1/pipe/${pipe}`;
  const accept = kind === "spectators" ? "text/event-stream" : "*/*";
  return `GET ${path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nAccept: ${accept}\r\n` +
    "Connection: close\r\n\r\n";
}

async function open(index: number): Promise<void> {
  const pipe = `${prefix}-${kind === "spectators" ? index % pipes : index}`;
  const connection: Connection = {
    index,
    pipe,
    status: null,
    bytes: 0,
    head: "",
    done: false,
    ended: null,
  };
  connections[index] = connection;
  const conn = await Deno.connect({ hostname, port: Number(port) });
  await conn.write(encoder.encode(request(pipe)));
  const ready = kind === "spectators"
    ? new Promise<void>((resolve) => firstEvent.set(index, resolve))
    : Promise.resolve();
  read(conn, connection);
  await ready;
}

async function read(conn: Deno.Conn, connection: Connection): Promise<void> {
  const buffer = new Uint8Array(16 * 1024);
  const decoder = new TextDecoder();
  try {
    for (;;) {
      const n = await conn.read(buffer);
      if (n === null) break;
      connection.bytes += n;
      // The head and the SSE text are small: keep the first 4 KB and look for events in each read.
      const text = decoder.decode(buffer.subarray(0, n), { stream: true });
      if (connection.head.length < 4096) connection.head += text.slice(0, 4096);
      if (connection.status === null) {
        const match = /^HTTP\/1\.1 (\d{3})/.exec(connection.head);
        if (match) connection.status = Number(match[1]);
      }
      if (kind === "spectators") {
        if (/\nevent: ?\w+/.test(text) || /\nevent: ?\w+/.test(connection.head)) {
          firstEvent.get(connection.index)?.();
          firstEvent.delete(connection.index);
        }
        if (/\nevent: ?done/.test(text)) connection.done = true;
      }
    }
    connection.ended = "eof";
  } catch {
    connection.ended = "error";
  } finally {
    try {
      conn.close();
    } catch {
      // closed
    }
    // A refused spectator (429/503) ends before any event: let the connect phase go on.
    firstEvent.get(connection.index)?.();
    firstEvent.delete(connection.index);
    const { index, pipe, status, bytes, done, ended } = connection;
    console.log(`ended ${JSON.stringify({ index, pipe, status, bytes, done, ended })}`);
  }
}

function status() {
  const ended = connections.filter((c) => c.ended !== null);
  const refused = connections.filter((c) => c.status !== null && c.status >= 400);
  return {
    open: connections.length - ended.length,
    ended: ended.length,
    refused: refused.length,
    statuses: [...new Set(connections.map((c) => c.status))],
  };
}

Deno.addSignalListener("SIGUSR1", () => console.log(`status ${JSON.stringify(status())}`));

// A few hundred at a time: the server's accept queue and this process's event loop both stay
// short, as with real clients arriving over some seconds.
const started = performance.now();
const batch = 250;
let failed = 0;
for (let at = 0; at < count; at += batch) {
  const opened = await Promise.allSettled(
    Array.from({ length: Math.min(batch, count - at) }, (_, i) => open(at + i)),
  );
  failed += opened.filter((o) => o.status === "rejected").length;
}
const seconds = (performance.now() - started) / 1000;
console.log(`connected ${JSON.stringify({ ...status(), failed, seconds })}`);
// Stay alive while the sockets are open; the bench kills this process when it is done.
setInterval(() => {}, 1 << 30);
