// A reference for the bench, not part of ringside: the thinnest relay Bun runs through a
// JavaScript stream. PUT /{name} sends, GET /{name} receives (either order); the receiver's body
// is one pull stream over the sender's body, nothing else: no counting, no fan-out, no limits.
// The sender's response ends once the last chunk went to the receiver. Bun only (Bun.serve):
//
//   bun scripts/_bare_relay.ts        # prints "listening on http://127.0.0.1:PORT"

interface Waiting {
  body?: ReadableStream<Uint8Array>;
  receiver?: (body: ReadableStream<Uint8Array>) => void;
  done?: () => void;
}

declare const Bun: {
  serve(options: {
    hostname: string;
    port: number;
    maxRequestBodySize: number;
    idleTimeout: number;
    fetch(request: Request): Response | Promise<Response>;
  }): { port: number };
};

const pipes = new Map<string, Waiting>();

function relay(source: ReadableStream<Uint8Array>, done: () => void): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done: ended, value } = await reader.read();
      if (ended) {
        controller.close();
        done();
      } else {
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
    return new Response(relay(body, () => waiting.done?.()));
  },
});
console.log(`listening on http://127.0.0.1:${server.port}`);
