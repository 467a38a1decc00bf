// A reference for the bench, not part of ringside: the thinnest relay Bun runs through a
// JavaScript stream. PUT /{name} sends, GET /{name} receives (either order); the receiver's body
// is one pull stream over the sender's body, nothing else: no counting, no fan-out, no limits.
// The sender's response ends once the last chunk went to the receiver. Bun only (Bun.serve).
// `--count` adds counting, to measure where a count costs least:
//   none       no count (the default)
//   pull       count in the pull that reads each chunk anyway (what ringside's FanOut does)
//   transform  count in a separate stage: the sender's body piped through a counting
//              TransformStream (the shape ringside measured and left for the count in FanOut)
//   native     no JavaScript stream at all: the receiver's response is the sender's body
//              (`new Response(request.body)`), which Bun pipes natively; nothing can count
//              there, and nothing says when it ends: the sender's response ends once Bun has no
//              request in flight but the sender's (`server.pendingRequests`), so this mode
//              serves one transfer at a time, as the bench runs them.
//
//   bun scripts/bench/_bare_relay.ts [--count none|pull|transform]   # "listening on http://127.0.0.1:PORT"

interface Waiting {
  body?: ReadableStream<Uint8Array>;
  receiver?: (body: ReadableStream<Uint8Array>) => void;
  done?: () => void;
}

declare const process: { argv: string[] };
declare const Bun: {
  serve(options: {
    hostname: string;
    port: number;
    maxRequestBodySize: number;
    idleTimeout: number;
    fetch(request: Request): Response | Promise<Response>;
  }): { port: number; pendingRequests: number };
};

const pipes = new Map<string, Waiting>();
const countAt = process.argv.indexOf("--count");
const count = countAt < 0 ? "none" : process.argv[countAt + 1] ?? "";
if (!["none", "pull", "transform", "native"].includes(count)) {
  throw new TypeError(`Unknown --count '${count}' (none, pull, transform or native)`);
}
/** Bytes counted by the `pull` and `transform` variants, on `GET /counted`. */
let counted = 0;

function relay(source: ReadableStream<Uint8Array>, done: () => void): ReadableStream<Uint8Array> {
  let counter: { bytes: number } | null = null;
  if (count === "transform") {
    const counted = { bytes: 0 };
    counter = counted;
    source = source.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          counted.bytes += chunk.byteLength;
          controller.enqueue(chunk);
        },
      }),
    );
  }
  const reader = source.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done: ended, value } = await reader.read();
      if (ended) {
        if (counter) counted += counter.bytes;
        controller.close();
        done();
      } else {
        if (count === "pull") counted += value.byteLength;
        controller.enqueue(value);
      }
    },
    cancel: (reason) => reader.cancel(reason),
  }, new CountQueuingStrategy({ highWaterMark: 2 }));
}

function pipe(name: string): Waiting {
  let waiting = pipes.get(name);
  if (!waiting) pipes.set(name, waiting = {});
  return waiting;
}

const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  maxRequestBodySize: Number.MAX_SAFE_INTEGER,
  idleTimeout: 0,
  async fetch(request) {
    const name = new URL(request.url).pathname;
    if (name === "/counted") return new Response(`${counted}\n`);
    const waiting = pipe(name);
    if (request.method === "PUT" || request.method === "POST") {
      const log = new ReadableStream<Uint8Array>({
        start(controller) {
          waiting.done = () => {
            controller.enqueue(new TextEncoder().encode("done\n"));
            controller.close();
          };
        },
      });
      const body = request.body ?? new ReadableStream({ start: (c) => c.close() });
      if (waiting.receiver) waiting.receiver(body);
      else waiting.body = body;
      return new Response(log);
    }
    const body = waiting.body ??
      await new Promise<ReadableStream<Uint8Array>>((resolve) => waiting.receiver = resolve);
    pipes.delete(name);
    if (count === "native") {
      const timer = setInterval(() => {
        if (server.pendingRequests > 1) return;
        clearInterval(timer);
        waiting.done?.();
      }, 5);
      return new Response(body);
    }
    return new Response(relay(body, () => waiting.done?.()));
  },
});
console.log(`listening on http://127.0.0.1:${server.port} (count: ${count})`);
