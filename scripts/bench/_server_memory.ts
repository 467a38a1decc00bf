// Where the server's memory goes while a process streams to one hub subscriber (issue 17, item
// 4). Not part of ringside, and Bun only: it serves main.ts in this very process so that it can
// read Bun's heap (`bun:jsc` heapStats) beside the kernel's RSS, split into anonymous memory (the
// server's own) and file-backed pages (Bun's binary, shared). A producer (`seq`) runs under
// `ringside run` in a child; one WebSocket client (another child) subscribes to the process on
// `/api/v1/ws` and counts its lines. Sampled every 50 ms; printed: idle, with the subscriber,
// at the peak, after the end, and after a full collection (`Bun.gc(true)`), each with the
// object types that grew most.
//
//   node_modules/.bin/bun scripts/bench/_server_memory.ts [--lines 200000] [--no-subscriber]

import { heapStats } from "bun:jsc";

declare const Bun: {
  gc(force: boolean): void;
  file(path: string): { text(): Promise<string> };
  spawn(argv: string[], options?: { stdout?: "pipe" | "inherit"; stderr?: "inherit" }): {
    stdout: ReadableStream<Uint8Array>;
    exited: Promise<number>;
  };
};
declare const process: {
  argv: string[];
  pid: number;
  execPath: string;
  exit(code: number): never;
};

const root = new URL("../../", import.meta.url).pathname;
const at = process.argv.indexOf("--lines");
const lines = at >= 0 ? Number(process.argv[at + 1]) : 200_000;
const subscriber = !process.argv.includes("--no-subscriber");

interface Sample {
  rss: number;
  anon: number;
  file: number;
  heap: number;
  heapCapacity: number;
  extra: number;
  objects: number;
  types: Record<string, number>;
}

async function sample(): Promise<Sample> {
  const status = await Bun.file(`/proc/${process.pid}/status`).text();
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, "m").exec(status)?.[1]);
  const stats = heapStats();
  return {
    rss: kb("VmRSS") * 1024,
    anon: kb("RssAnon") * 1024,
    file: kb("RssFile") * 1024,
    heap: stats.heapSize,
    heapCapacity: stats.heapCapacity,
    extra: stats.extraMemorySize,
    objects: stats.objectCount,
    types: stats.objectTypeCounts,
  };
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

function line(what: string, s: Sample, base?: Sample): string {
  const grew = base
    ? Object.entries(s.types)
      .map(([type, count]) => [type, count - (base.types[type] ?? 0)] as const)
      .filter(([, d]) => d > 100)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 6)
      .map(([type, d]) => `${type} +${d}`)
      .join(", ")
    : "";
  return `${what.padEnd(22)} RSS ${mb(s.rss)} (anonymous ${mb(s.anon)}, file ${mb(s.file)}); ` +
    `JS heap ${mb(s.heap)} of ${mb(s.heapCapacity)} capacity, extra ${mb(s.extra)}, ` +
    `${s.objects} objects${grew ? `; grew: ${grew}` : ""}`;
}

// Serve main.ts here; its "listening on" line gives the origin.
const { promise: listening, resolve } = Promise.withResolvers<string>();
const print = console.log;
console.log = (...args: unknown[]) => {
  const match = /listening on (\S+)/.exec(String(args[0]));
  if (match) resolve(match[1]!);
  else print(...args);
};
process.argv.splice(2, process.argv.length, "serve", "--host", "127.0.0.1", "--port", "0");
await import(`${root}main.ts`);
const origin = await listening;
const bun = process.execPath;

await new Promise((r) => setTimeout(r, 1000));
Bun.gc(true);
const idle = await sample();
print(line("idle", idle));

const id = `memory-${Date.now()}`;
const api = `${origin}/api/v1/processes/${id}`;
await (await fetch(`${api}/status`, { method: "POST", body: '{"status":"running"}' })).text();

const client = subscriber
  ? Bun.spawn([
    bun,
    "-e",
    `const ws = new WebSocket(${JSON.stringify(origin.replace(/^http/, "ws") + "/api/v1/ws")});
     let lines = 0;
     ws.onopen = () => ws.send(JSON.stringify({ type: "subscribe", data: "process:${id}" }));
     ws.onmessage = ({ data }) => {
       const m = JSON.parse(data);
       if (m.type === "subscribed") console.log("subscribed");
       if (m.type === "process_output") lines++;
       if (m.type === "process_status" && m.data.status !== "running") {
         console.log("lines " + lines);
         ws.close();
       }
     };`,
  ], { stdout: "pipe", stderr: "inherit" })
  : null;
let clientText = "";
const clientDone = (async () => {
  if (!client) return;
  const decoder = new TextDecoder();
  for await (const chunk of client.stdout) clientText += decoder.decode(chunk, { stream: true });
})();
while (client && !clientText.includes("subscribed")) {
  await new Promise((r) => setTimeout(r, 20));
}
const connected = await sample();
print(line("subscriber connected", connected, idle));

let peak = connected;
const timer = setInterval(async () => {
  const s = await sample();
  if (s.rss > peak.rss) peak = s;
}, 50);
const run = Bun.spawn([
  bun,
  `${root}main.ts`,
  "run",
  "--server",
  origin,
  "--id",
  id,
  "--",
  "seq",
  "-f",
  "line %.0f",
  "1",
  String(lines),
], { stdout: "pipe", stderr: "inherit" });
await new Response(run.stdout).arrayBuffer();
await run.exited;
await clientDone;
const heard = clientText;
clearInterval(timer);
print(line("peak while streaming", peak, idle));
const after = await sample();
print(line("after the end", after, idle));
Bun.gc(true);
await new Promise((r) => setTimeout(r, 500));
const collected = await sample();
print(line("after Bun.gc(true)", collected, idle));
print(`client: ${heard.trim().split("\n").at(-1) ?? "none"} of ${lines}`);
process.exit(0);
