/**
 * Child of `scripts/bench/churn.ts`, run on Bun or Deno: N watched transfers through the app in
 * this process (`createApp`, `app.request`), then the heap and RSS each retained pipe keeps,
 * between transfer 100 and N, each reading after a full collection. Prints one JSON line:
 * `{"heapPerPipe":…,"rssPerPipe":…}`.
 *
 * `bun scripts/bench/_churn_heap.ts N SIZE` or `deno run -A scripts/bench/_churn_heap.ts N SIZE`
 *
 * @module
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { createApp } from "../../src/app.ts";
import { defaultConfig } from "../../src/config.ts";

interface BunGc {
  gc(force: boolean): void;
}

const bun = (globalThis as unknown as { Bun?: BunGc }).Bun;
const collect: () => void = bun ? () => bun.gc(true) : v8Gc();

function v8Gc(): () => void {
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc");
}

/** Node's `process`, which Bun and Deno both have. */
const nodeProcess = (globalThis as unknown as {
  process: { argv: string[]; memoryUsage(): { heapUsed: number; rss: number } };
}).process;

async function reading(): Promise<{ heap: number; rss: number }> {
  await new Promise((resolve) => setTimeout(resolve, 50));
  collect();
  collect();
  const usage = nodeProcess.memoryUsage();
  return { heap: usage.heapUsed, rss: usage.rss };
}

const [transfers, size] = nodeProcess.argv.slice(2).map(Number);
if (!transfers || transfers < 200 || !size) throw new TypeError("Usage: _churn_heap.ts N SIZE");
const payload = new Uint8Array(size).map((_, i) => (i * 31) & 0xff);
const { app, tracker } = createApp({
  ...defaultConfig(),
  maxTopics: Math.max(10_000, transfers + 100),
});
let at100 = { heap: 0, rss: 0 };
for (let i = 1; i <= transfers; i++) {
  const path = `/api/v1/pipe/heap-${i}`;
  const spectator = await app.request(`${path}?progress`, {
    headers: { accept: "text/event-stream" },
  });
  const watched = spectator.text();
  const receiving = app.request(path);
  const sent = app.request(path, { method: "PUT", body: payload });
  const received = await (await receiving).arrayBuffer();
  await (await sent).text();
  if (received.byteLength !== payload.length || !(await watched).includes("event: done")) {
    throw new Error(`In-process transfer ${i} failed`);
  }
  if (i === 100) at100 = await reading();
}
const end = await reading();
tracker.close();
const after = transfers - 100;
console.log(JSON.stringify({
  heapPerPipe: (end.heap - at100.heap) / after,
  rssPerPipe: (end.rss - at100.rss) / after,
}));
