/**
 * Bench section "churn": many short transfers, each watched by a spectator, and what the ended
 * ones cost while they are retained for latecomers (`--retention`, 10 min by default).
 *
 * - Against a real server (`--runtime bun|deno`): N sequential 1 MB transfers (receiver first,
 *   then the sender, a spectator on each from before the start to its `done`), with the server's
 *   RSS after 100 transfers and after N (goal: within 10 %), the growth per 1,000 transfers, and
 *   the `/metrics` gauges at the end (active transfers and spectators back to 0; every pipe
 *   retained). Then the same against a server that retains nothing (`--retention 1ms`, gauges
 *   all back to 0): the difference per transfer is the RSS of one retained pipe.
 * - In one process on the same runtime (`_churn_heap.ts`, garbage collected before each
 *   reading): the same transfers through `createApp`, and the heap and RSS per retained pipe
 *   (goal: < 5 KB of heap, so 10,000 retained < 50 MB).
 *
 * `node_modules/deno/deno run -A scripts/bench/churn.ts [--runtime bun|deno] [--transfers N]
 * [--retention DURATION]`
 *
 * @module
 */
import {
  capture,
  delay,
  residentBytes,
  root,
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
   * The server's `--retention` in the measured run. A control run with `1ms` (every ended pipe
   * forgotten at once) follows; the difference is what retention costs. @default "10m"
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
  /**
   * RSS growth per transfer after the first 100 (each leaves one retained pipe), less the
   * control run's (nothing retained), bytes.
   */
  rssPerRetainedPipe: number;
  /** The control run's server RSS after 100 transfers and after all of them, bytes. */
  controlRssAt100: number;
  controlRssAtEnd: number;
  /** The `/metrics` gauges after the last transfer. */
  gauges: { pipes: number; transfersActive: number; spectators: number };
  /** In-process heap per retained pipe on the runtime, bytes, after a full collection. */
  heapPerRetainedPipe: number;
}

const KB = 1024;
const MB = 1024 * 1024;

/** One churn run against a server: RSS after 100 transfers and after all, the gauges. */
interface ChurnRun {
  retention: string;
  rssAt100: number;
  rssAtEnd: number;
  gauges: { pipes: number; transfersActive: number; spectators: number };
}

async function churnRun(
  runtime: Runtime,
  transfers: number,
  retention: string,
  payload: Uint8Array<ArrayBuffer>,
): Promise<ChurnRun> {
  const server = await startRingside(runtime, [
    "--max-topics",
    String(Math.max(10_000, transfers + 100)),
    "--retention",
    retention,
  ]);
  try {
    let rssAt100 = 0;
    for (let i = 1; i <= transfers; i++) {
      await watchedTransfer(server, `churn-${i}`, payload);
      if (i === 100) rssAt100 = await settledRss(server);
    }
    const rssAtEnd = await settledRss(server);
    return { retention, rssAt100, rssAtEnd, gauges: await readGauges(server.origin) };
  } finally {
    await server.proc.stop();
  }
}

/** Runs the churn section and prints its lines. */
export async function churnSection(options: ChurnOptions = {}): Promise<ChurnResult> {
  const runtime = options.runtime ?? "bun";
  const transfers = Math.max(200, options.transfers ?? 1000);
  const size = options.size ?? MB;
  const print = options.print ?? console.log;
  const payload = new Uint8Array(size).map((_, i) => (i * 31) & 0xff);
  const after = transfers - 100;

  print(`== churn: ${transfers} sequential ${fmtBytes(size)} transfers, a spectator on each`);
  const retained = await churnRun(runtime, transfers, options.retention ?? "10m", payload);
  // The same churn with nothing retained: what the runtime's heap and allocator grow by anyway.
  const control = await churnRun(runtime, transfers, "1ms", payload);
  for (const run of [retained, control]) {
    const growth = run.rssAtEnd / run.rssAt100 - 1;
    print(
      `ringside (${runtime}, --retention ${run.retention}): RSS ${fmtBytes(run.rssAt100)} after ` +
        `100, ${fmtBytes(run.rssAtEnd)} after ${transfers} (${pct(growth)}, ` +
        `${fmtBytes((run.rssAtEnd - run.rssAt100) / after * 1000)} per 1,000 transfers; goal ` +
        `within 10 %: ${Math.abs(growth) <= 0.1 ? "met" : "NOT met"})`,
    );
    print(
      `  /metrics after the last: ringside_transfers_active ${run.gauges.transfersActive}, ` +
        `ringside_spectators ${run.gauges.spectators}, ringside_pipes ${run.gauges.pipes}`,
    );
  }
  const rssGrowth = retained.rssAtEnd / retained.rssAt100 - 1;
  const rssPerRetainedPipe =
    ((retained.rssAtEnd - retained.rssAt100) - (control.rssAtEnd - control.rssAt100)) / after;
  print(`  RSS per retained pipe (over the control): ${fmtBytes(rssPerRetainedPipe)}`);

  const measured = await inProcess(runtime, transfers, size);
  const heapPerRetainedPipe = measured.heapPerPipe;
  print(
    `  in-process on ${runtime}, after a full GC, per retained pipe: heap ` +
      `${fmtBytes(heapPerRetainedPipe)} (goal < 5 KB: ${
        heapPerRetainedPipe < 5 * KB ? "met" : "NOT met"
      }; 10,000 retained: ${fmtBytes(heapPerRetainedPipe * 10_000)}), RSS ` +
      `${fmtBytes(measured.rssPerPipe)}`,
  );
  return {
    runtime,
    transfers,
    rssAt100: retained.rssAt100,
    rssAtEnd: retained.rssAtEnd,
    rssGrowth,
    rssPerRetainedPipe,
    gauges: retained.gauges,
    controlRssAt100: control.rssAt100,
    controlRssAtEnd: control.rssAtEnd,
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

/** What one in-process run measured, per retained pipe, bytes. */
interface InProcess {
  heapPerPipe: number;
  rssPerPipe: number;
}

/**
 * The same churn through the app in a child process on `runtime` (`_churn_heap.ts`), with the
 * heap and RSS kept per retained pipe, each read after a full collection.
 */
async function inProcess(
  runtime: Runtime,
  transfers: number,
  size: number,
): Promise<InProcess> {
  const script = new URL("./_churn_heap.ts", import.meta.url).pathname;
  const argv = runtime === "bun"
    ? [`${root}node_modules/.bin/bun`, script]
    : [`${root}node_modules/.bin/deno`, "run", "-A", script];
  const out = await capture([...argv, String(transfers), String(size)]);
  if (out === undefined) throw new Error(`The in-process churn on ${runtime} failed`);
  return JSON.parse(out.split("\n").at(-1)!);
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
