// A reference for the bench, not part of ringside: the smallest Bun server, `Bun.serve` answering
// "hello" to every request. The bench reads its resident memory after a few requests: what any
// Bun server costs before it does anything, the floor under ringside's idle RSS. Bun only.
//
//   bun scripts/bench/_hello.ts          # "listening on http://127.0.0.1:PORT"

declare const Bun: {
  serve(options: {
    hostname: string;
    port: number;
    fetch(request: Request): Response;
  }): { port: number };
};

const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch: () => new Response("hello\n"),
});
console.log(`listening on http://127.0.0.1:${server.port}`);
