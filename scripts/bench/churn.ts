/**
 * Bench section "churn": many short transfers, each watched by a spectator, and what the ended
 * ones cost while they are retained for latecomers (`--retention`, 10 min by default).
 *
 * - Against a real server (`--runtime bun|deno`): N sequential 1 MB transfers (receiver first,
 *   then the sender, a spectator on each from before the start to its `done`), with the server's
 *   RSS after 100 transfers and after N (goal: within 10 %), the growth per retained pipe and per
 *   1,000 transfers, and the `/metrics` gauges at the end (active transfers and spectators back
 *   to 0; every pipe retained).
 * - In this process (V8, garbage collected before each reading): the same transfers through
 *   `createApp`, and the heap per retained pipe (goal: < 5 KB, so 10,000 retained < 50 MB).
 *
 * `node_modules/deno/deno run -A scripts/bench/churn.ts [--runtime bun|deno] [--transfers N]
 * [--retention 1ms]` (the last for a control run that retains nothing).
 *
 * @module
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { createApp } from "../../src/app.ts";
import { defaultConfig } from "../../src/config.ts";
import {
  delay,
  residentBytes,
  type Runtime,
  type Server,
  startRingside,
  stopAll,
} from "../_bench_harness.ts";

/** Options for {@linkcode churnSection}. */
export interface ChurnOptions {
  /** The runtime that serves. @default "bun" */
  runtime?: Runtime;
  /** Transfers in all (at least 200). @default 1000 */
  transfers?: number;
  /** Bytes per transfer. @default 1048576 */
  size?: number;
  /**
   * The server's `--retention`. `1ms` forgets every ended pipe at once: a control run whose
   * growth is what the churn costs without retention. @default "10m"
   */
  retention?: string;
  /** Where lines go. @default console.log */
  print?: (line: string) => void;
}

/** What {@linkcode churnSection} measured. */
export interface ChurnResult {
  runtime: Runtime;
  transfers: number;
  /** Server RSS after the first 100 transfers and after all of them, bytes. */
  rssAt100: number;
  rssAtEnd: number;
  /** `rssAtEnd / rssAt100 - 1`. */
  rssGrowth: number;
  /** RSS growth per transfer after the first 100, bytes (each leaves one retained pipe). */
  rssPerRetainedPipe: number;
  /** The `/metrics` gauges after the last transfer. */
  gauges: { pipes: number; transfersActive: number; spectators: number };
  /** In-process V8 heap per retained pipe, bytes, after a full collection. */
  heapPerRetainedPipe: number;
}

const KB = 1024;
const MB = 1024 * 1024;

/** Runs the churn section and prints its lines. */
export async function churnSection(options: ChurnOptions = {}): Promise<ChurnResult> {
  const runtime = options.runtime ?? "bun";
  const transfers = Math.max(200, options.transfers ?? 1000);
  const size = options.size ?? MB;
  const print = options.print ?? console.log;
  const payload = new Uint8Array(size).map((_, i) => (i * 31) & 0xff);

  print(`== churn: ${transfers} sequential ${fmtBytes(size)} transfers, a spectator on each`);
  const retention = options.retention ?? "10m";
  const server = await startRingside(runtime, [
    "--max-topics",
    String(Math.max(10_000, transfers + 100)),
    "--retention",
    retention,
  ]);
  let rssAt100 = 0;
  let rssAtEnd = 0;
  let gauges: ChurnResult["gauges"];
  try {
    for (let i = 1; i <= transfers; i++) {
      await watchedTransfer(server, `churn-${i}`, payload);
      if (i === 100) rssAt100 = await settledRss(server);
    }
    rssAtEnd = await settledRss(server);
    gauges = await readGauges(server.origin);
  } finally {
    await server.proc.stop();
  }
  const rssPerRetainedPipe = (rssAtEnd - rssAt100) / (transfers - 100);
  const rssGrowth = rssAtEnd / rssAt100 - 1;
  print(
    `ringside (${runtime}, --retention ${retention}) RSS: ${fmtBytes(rssAt100)} after 100, ${
      fmtBytes(rssAtEnd)
    } after ` +
      `${transfers} (${pct(rssGrowth)}; goal within 10 %: ${
        Math.abs(rssGrowth) <= 0.1 ? "met" : "NOT met"
      })`,
  );
  print(
    `  per retained pipe: ${fmtBytes(rssPerRetainedPipe)} RSS; per 1,000 transfers: ` +
      `${fmtBytes(rssPerRetainedPipe * 1000)}`,
  );
  print(
    `  /metrics after the last: ringside_transfers_active ${gauges.transfersActive}, ` +
      `ringside_spectators ${gauges.spectators}, ringside_pipes ${gauges.pipes} (retained)`,
  );

  const heapPerRetainedPipe = await inProcessHeap(transfers, payload);
  print(
    `  heap per retained pipe (in-process, V8, after a full GC): ` +
      `${fmtBytes(heapPerRetainedPipe)} (goal < 5 KB: ${
        heapPerRetainedPipe < 5 * KB ? "met" : "NOT met"
      }; 10,000 retained: ${fmtBytes(heapPerRetainedPipe * 10_000)})`,
  );
  return {
    runtime,
    transfers,
    rssAt100,
    rssAtEnd,
    rssGrowth,
    rssPerRetainedPipe,
    gauges,
    heapPerRetainedPipe,
  };
}

/** One transfer, receiver first, watched over SSE from before the start to `done`. */
async function watchedTransfer(
  server: Server,
  name: string,
  payload: Uint8Array<ArrayBuffer>,
): Promise<void> {
  const url = server.pipeUrl(name);
  const watch = new Watch(`${url}?progress`);
  await watch.until((s) => s.state === "idle");
  const receiving = fetch(url).then(async (res) => {
    if (!res.ok) throw new Error(`Receiver of ${name}: HTTP ${res.status}`);
    return (await res.arrayBuffer()).byteLength;
  });
  await watch.until((s) => s.receivers === 1);
  const sent = await fetch(url, { method: "PUT", body: payload });
  const log = await sent.text();
  const received = await receiving;
  const end = await watch.end;
  if (received !== payload.length || !/Sent \d+ bytes/.test(log) || end !== "done") {
    throw new Error(`Transfer ${name}: received ${received}, end ${end}, log ${log.trim()}`);
  }
}

/** A minimal SSE spectator: the last snapshot, waits on it, and the terminal event's type. */
class Watch {
  readonly end: Promise<string>;
  #snapshot: Record<string, unknown> = {};
  #waiters: { predicate: (s: Record<string, unknown>) => boolean; resolve: () => void }[] = [];

  constructor(url: string) {
    this.end = this.#read(url);
  }

  until(predicate: (s: Record<string, unknown>) => boolean): Promise<void> {
    if (predicate(this.#snapshot)) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ predicate, resolve }));
  }

  async #read(url: string): Promise<string> {
    const res = await fetch(url, { headers: { accept: "text/event-stream" } });
    if (!res.ok || !res.body) throw new Error(`Spectator: HTTP ${res.status}`);
    let buffered = "";
    let last = "";
    for await (const text of res.body.pipeThrough(new TextDecoderStream())) {
      buffered += text;
      let end: number;
      while ((end = buffered.indexOf("\n\n")) >= 0) {
        const block = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        const type = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (!type || !data) continue;
        last = type;
        this.#snapshot = JSON.parse(data);
        this.#waiters = this.#waiters.filter((waiter) => {
          if (!waiter.predicate(this.#snapshot)) return true;
          waiter.resolve();
          return false;
        });
      }
    }
    return last;
  }
}

/** The server's RSS once its timers and collector had a moment (the lowest of a few reads). */
async function settledRss(server: Server): Promise<number> {
  let lowest = Infinity;
  for (let i = 0; i < 5; i++) {
    await delay(400);
    lowest = Math.min(lowest, residentBytes(server.proc.pid));
  }
  return lowest;
}

async function readGauges(origin: string): Promise<ChurnResult["gauges"]> {
  const text = await (await fetch(`${origin}/metrics`)).text();
  const gauge = (name: string) => Number(new RegExp(`^${name} (\\d+)$`, "m").exec(text)?.[1]);
  return {
    pipes: gauge("ringside_pipes"),
    transfersActive: gauge("ringside_transfers_active"),
    spectators: gauge("ringside_spectators"),
  };
}

/**
 * The same churn through the app in this process, and the V8 heap it keeps per retained pipe:
 * heap after 100 transfers and after `transfers`, each after a full collection.
 */
async function inProcessHeap(transfers: number, payload: Uint8Array<ArrayBuffer>): Promise<number> {
  setFlagsFromString("--expose-gc");
  const gc: () => void = runInNewContext("gc");
  const config = { ...defaultConfig(), maxTopics: Math.max(10_000, transfers + 100) };
  const { app, tracker } = createApp(config);
  async function heap(): Promise<number> {
    await delay(50);
    gc();
    gc();
    return Deno.memoryUsage().heapUsed;
  }
  let at100 = 0;
  try {
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
      if (i === 100) at100 = await heap();
    }
    return (await heap() - at100) / (transfers - 100);
  } finally {
    tracker.close();
  }
}

function fmtBytes(bytes: number): string {
  const abs = Math.abs(bytes);
  if (abs >= 10 * MB) return `${(bytes / MB).toFixed(1)} MB`;
  if (abs >= 10 * KB) return `${(bytes / KB).toFixed(0)} KB`;
  if (abs >= KB) return `${(bytes / KB).toFixed(1)} KB`;
  return `${Math.round(bytes)} B`;
}

function pct(ratio: number): string {
  return `${ratio >= 0 ? "+" : ""}${(ratio * 100).toFixed(1)} %`;
}

function parseArgs(args: string[]): ChurnOptions {
  const options: ChurnOptions = {};
  for (let i = 0; i < args.length; i++) {
    const [flag, value] = [args[i], args[i + 1]];
    if (flag === "--runtime" && (value === "bun" || value === "deno")) {
      options.runtime = value;
      i++;
    } else if (flag === "--transfers" && value !== undefined && /^\d+$/.test(value)) {
      options.transfers = Number(value);
      i++;
    } else if (flag === "--retention" && value !== undefined) {
      options.retention = value;
      i++;
    } else {
      throw new TypeError(
        `Invalid argument '${flag}' (--runtime bun|deno, --transfers N, --retention DURATION)`,
      );
    }
  }
  return options;
}

if (import.meta.main) {
  Deno.addSignalListener("SIGINT", () => {
    stopAll();
    Deno.exit(130);
  });
  try {
    await churnSection(parseArgs(Deno.args));
  } catch (error) {
    console.error(`churn: ${(error as Error).message}`);
    stopAll();
    Deno.exit(1);
  }
}
