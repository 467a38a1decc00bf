/**
 * Processes benchmark: what `ringside run` costs a command that prints a lot, how many lines per
 * second reach an SSE spectator and a WebSocket hub subscriber, and whether the server's memory stays flat (the ring is
 * bounded). It prints figures; it is not a test.
 *
 * ```sh
 * deno run -A scripts/bench/processes.ts                    # 1,000,000 lines, paced and not
 * deno run -A scripts/bench/processes.ts --lines 200000 --runs 3 --runtime deno
 * ```
 *
 * For each producer — paced at 100,000 lines/s (the rate `run` must not slow down) and
 * unpaced (as fast as the producer can print) — it times the producer with its output to
 * `/dev/null` against `ringside run -- PRODUCER` with run's output to `/dev/null`, while one SSE
 * spectator (in this process) follows the process, reconnecting with `Last-Event-ID` when it
 * falls too far behind, and one WebSocket subscriber (Deno's `WebSocket`, in this process too)
 * subscribes to `process:ID` on `/api/v1/ws`. The hub drops a subscriber that falls more than
 * 8 MiB behind; the subscriber then reconnects (the ring gives it the recent lines again, counted
 * once by `seq`) and the lines it never got are reported as missed. The server's RSS is sampled
 * every 100 ms.
 *
 * @module
 */

const root = new URL("../../", import.meta.url).pathname;

/** Options for {@linkcode processesSection}. */
export interface ProcessesOptions {
  /** Lines the producer prints. @default 1000000 */
  lines?: number;
  /** Runs of each measurement; the median is reported. @default 1 */
  runs?: number;
  /** The runtime of the server and of `ringside run`. @default "bun" */
  runtime?: "bun" | "deno";
  /** Printed as the section runs. @default console.log */
  print?: (line: string) => void;
}

/** One producer's figures. */
export interface ProcessesResult {
  producer: string;
  /** Seconds, producer to `/dev/null`. */
  baselineSec: number;
  /** Seconds, `ringside run -- producer` to `/dev/null`. */
  runSec: number;
  /** `runSec / baselineSec`; the goal is < 1.3. */
  slowdown: number;
  /** Lines the server took (the process's last `seq`, dropped ones included as gaps). */
  serverLines: number;
  /** Lines `run` dropped because the server could not keep up. */
  droppedByRun: number;
  /** Output events the spectator received. */
  spectatorLines: number;
  /** Lines per second reaching the spectator, from its first to its last line. */
  spectatorLinesPerSec: number;
  /** Times the spectator fell behind and resumed (with a gap). */
  spectatorResumes: number;
  /** `process_output` messages (distinct `seq`s) the WebSocket subscriber received. */
  wsLines: number;
  /** Lines per second reaching the WebSocket subscriber, from its first to its last line. */
  wsLinesPerSec: number;
  /** Lines the server took (not dropped by `run`) that the WebSocket subscriber never got. */
  wsMissed: number;
  /** Times the WebSocket subscriber's connection ended before the final status (it reconnected). */
  wsDrops: number;
  /** Of `wsDrops`, the times 15 s passed with no message and the subscriber gave up the socket. */
  wsStalls: number;
  /** Server RSS in MB: before, peak during, after. */
  rssMb: { before: number; peak: number; after: number };
}

function command(runtime: "bun" | "deno"): string[] {
  return runtime === "bun"
    ? [`${root}node_modules/.bin/bun`, `${root}main.ts`]
    : [`${root}node_modules/deno/deno`, "run", "-A", `${root}main.ts`];
}

const PRODUCER = `
const total = Number(process.argv[2]);
const rate = Number(process.argv[3]);
const start = performance.now();
let i = 0;
while (i < total) {
  const batch = Math.min(total - i, rate > 0 ? Math.max(1, Math.floor(rate / 100)) : 10000);
  let text = "";
  for (let j = 0; j < batch; j++) text += "line " + ++i + "\\n";
  await Bun.write(Bun.stdout, text);
  if (rate > 0) {
    const wait = start + (i / rate) * 1000 - performance.now();
    if (wait > 0) await Bun.sleep(wait);
  }
}
`;

/**
 * Writes the producer into `dir` and returns the command that prints `total` lines `line N` at
 * `rate` lines/s (0: as fast as it can), on the repository's Bun.
 */
export async function producerCommand(dir: string, total: number, rate: number): Promise<string[]> {
  const file = `${dir}/producer.js`;
  await Deno.writeTextFile(file, PRODUCER);
  return [`${root}node_modules/.bin/bun`, file, String(total), String(rate)];
}

async function rssMb(pid: number): Promise<number> {
  try {
    const status = await Deno.readTextFile(`/proc/${pid}/status`);
    const match = /VmRSS:\s+(\d+) kB/.exec(status);
    return match ? Number(match[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

async function timed(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ seconds: number; stderr: string }> {
  const started = performance.now();
  const status = await new Deno.Command(args[0]!, {
    args: args.slice(1),
    env,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  const seconds = (performance.now() - started) / 1000;
  const stderr = new TextDecoder().decode(status.stderr);
  if (status.code !== 0) throw new Error(`${args.join(" ")} failed: ${stderr}`);
  return { seconds, stderr };
}

async function startServer(runtime: "bun" | "deno") {
  const [program, ...prefix] = command(runtime);
  const child = new Deno.Command(program!, {
    args: [...prefix, "serve", "--port", "0", "--exit-on-stdin-close"],
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!/listening on (http:\/\/\S+)/.test(text)) {
    const { done, value } = await reader.read();
    if (done) throw new Error("The server exited before listening");
    text += value;
  }
  reader.releaseLock();
  child.stdout.cancel().catch(() => {});
  return {
    origin: /listening on (http:\/\/\S+)/.exec(text)![1]!,
    pid: child.pid,
    async stop() {
      child.kill("SIGKILL");
      await child.status;
    },
  };
}

/** Follows a process over SSE, resuming with Last-Event-ID, until its final status. */
async function spectate(url: string): Promise<{ lines: number; seconds: number; resumes: number }> {
  let lines = 0;
  let resumes = -1;
  let lastId = "";
  let first = 0;
  let last = 0;
  let ended = false;
  const decoder = new TextDecoder();
  while (!ended) {
    resumes++;
    const response = await fetch(url, {
      headers: { accept: "text/event-stream", ...(lastId ? { "last-event-id": lastId } : {}) },
    });
    if (response.status === 204) break;
    let carry = "";
    for await (const chunk of response.body!) {
      const text = carry + decoder.decode(chunk, { stream: true });
      const cut = text.lastIndexOf("\n\n") + 2;
      const whole = text.slice(0, cut);
      carry = text.slice(cut);
      const count = whole.split("event: output\n").length - 1;
      if (count > 0) {
        last = performance.now();
        if (first === 0) first = last;
        lines += count;
      }
      const ids = whole.match(/^id: \S+$/gm);
      if (ids) lastId = ids.at(-1)!.slice(4);
      if (/^event: status\ndata: \{"status":"(exited|killed|failed)"/m.test(whole)) ended = true;
    }
  }
  return { lines, seconds: (last - first) / 1000, resumes };
}

/**
 * Follows `process:ID` on the WebSocket hub until its final status, counting `process_output`
 * messages once by `seq`. When the hub drops the connection (more than 8 MiB behind) it
 * reconnects: the ring's recent lines come again, and only `seq`s past the last one count.
 * `ready` resolves once the first subscription is confirmed.
 */
function subscribe(origin: string, id: string): {
  ready: Promise<void>;
  done: Promise<{ lines: number; seconds: number; drops: number; stalls: number }>;
} {
  const url = `${origin.replace(/^http/, "ws")}/api/v1/ws`;
  const channel = `process:${id}`;
  let lines = 0;
  let lastSeq = 0;
  let first = 0;
  let last = 0;
  let drops = 0;
  let ended = false;
  let failure: Error | null = null;
  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => markReady = resolve);
  let stalls = 0;
  const connect = () =>
    new Promise<void>((resolve) => {
      const socket = new WebSocket(url);
      // A terminated connection may never report its close: 15 s without a message counts as a
      // stall, and the subscriber reconnects.
      let heard = performance.now();
      const watchdog = setInterval(() => {
        if (performance.now() - heard < 15_000) return;
        stalls++;
        finish();
        socket.close();
      }, 1000);
      const finish = () => {
        clearInterval(watchdog);
        markReady();
        resolve();
      };
      socket.onopen = () => socket.send(JSON.stringify({ type: "subscribe", data: channel }));
      socket.onmessage = ({ data }) => {
        heard = performance.now();
        const message = JSON.parse(data as string);
        if (message.type === "process_output" && message.channel === channel) {
          if (message.seq > lastSeq) {
            lastSeq = message.seq;
            last = performance.now();
            if (first === 0) first = last;
            lines++;
          }
        } else if (message.type === "subscribed") {
          markReady();
        } else if (
          message.type === "process_status" &&
          ["exited", "killed", "failed"].includes(message.data.status)
        ) {
          ended = true;
          socket.close();
        } else if (message.type === "error") {
          failure = new Error(`WebSocket subscriber: ${message.data}`);
          socket.close();
        }
      };
      socket.onerror = () => {};
      socket.onclose = finish;
    });
  const done = (async () => {
    while (true) {
      await connect();
      if (failure) throw failure;
      if (ended) break;
      drops++;
      if (drops > 20) throw new Error("WebSocket subscriber: dropped more than 20 times");
    }
    return { lines, seconds: (last - first) / 1000, drops, stalls };
  })();
  return { ready, done };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Runs the section; returns one result per producer (paced, unpaced). */
export async function processesSection(
  options: ProcessesOptions = {},
): Promise<ProcessesResult[]> {
  const total = options.lines ?? 1_000_000;
  const runs = options.runs ?? 1;
  const runtime = options.runtime ?? "bun";
  const print = options.print ?? console.log;
  const dir = await Deno.makeTempDir({ prefix: "ringside-bench-processes-" });
  const results: ProcessesResult[] = [];
  const server = await startServer(runtime);
  try {
    for (const rate of [100_000, 0]) {
      const producer = await producerCommand(dir, total, rate);
      const label = rate > 0 ? `${rate.toLocaleString("en")} lines/s` : "unpaced";
      const baselines: number[] = [];
      const runTimes: number[] = [];
      let last: Omit<ProcessesResult, "producer" | "baselineSec" | "runSec" | "slowdown"> | null =
        null;
      for (let run = 0; run < runs; run++) {
        baselines.push((await timed(producer)).seconds);
        const id = `bench-${rate}-${run}-${Date.now()}`;
        const api = `${server.origin}/api/v1/processes/${id}`;
        await (await fetch(`${api}/status`, {
          method: "POST",
          body: '{"status":"running"}',
        })).body?.cancel();
        const watching = spectate(api);
        const hub = subscribe(server.origin, id);
        await hub.ready;
        const before = await rssMb(server.pid);
        let peak = before;
        const sampler = setInterval(async () => {
          peak = Math.max(peak, await rssMb(server.pid));
        }, 100);
        const runArgs = [...command(runtime), "run", "--server", server.origin, "--id", id, "--"];
        const ran = await timed([...runArgs, ...producer]);
        runTimes.push(ran.seconds);
        const seen = await watching;
        const heard = await hub.done;
        clearInterval(sampler);
        const snapshot = await (await fetch(`${api}?format=json`)).json();
        const dropped = Number(/too slow for (\d+) lines/.exec(ran.stderr)?.[1] ?? 0);
        last = {
          serverLines: snapshot.lines,
          droppedByRun: dropped,
          spectatorLines: seen.lines,
          spectatorLinesPerSec: Math.round(seen.lines / Math.max(seen.seconds, 0.001)),
          spectatorResumes: seen.resumes,
          wsLines: heard.lines,
          wsLinesPerSec: Math.round(heard.lines / Math.max(heard.seconds, 0.001)),
          wsMissed: snapshot.lines - dropped - heard.lines,
          wsDrops: heard.drops,
          wsStalls: heard.stalls,
          rssMb: {
            before: Math.round(before),
            peak: Math.round(peak),
            after: Math.round(await rssMb(server.pid)),
          },
        };
      }
      const baselineSec = median(baselines);
      const runSec = median(runTimes);
      const result: ProcessesResult = {
        producer: label,
        baselineSec,
        runSec,
        slowdown: runSec / baselineSec,
        ...last!,
      };
      results.push(result);
      print(
        `${label.padEnd(16)} /dev/null ${baselineSec.toFixed(2)} s, run ${runSec.toFixed(2)} s ` +
          `(${result.slowdown.toFixed(2)}×${result.slowdown < 1.3 ? "" : ", goal < 1.3×"}); ` +
          `server took ${result.serverLines} lines (${result.droppedByRun} dropped by run); ` +
          `spectator ${result.spectatorLines} lines at ${
            result.spectatorLinesPerSec.toLocaleString("en")
          } lines/s, ${result.spectatorResumes} resumes; ` +
          `WebSocket ${result.wsLines} lines at ${result.wsLinesPerSec.toLocaleString("en")} ` +
          `lines/s, ${result.wsMissed} missed, ${result.wsDrops} drops (${result.wsStalls} stalled); ` +
          `server RSS ${result.rssMb.before} → peak ${result.rssMb.peak} → ${result.rssMb.after} MB`,
      );
    }
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
  return results;
}

if (import.meta.main) {
  const args = Deno.args;
  const value = (flag: string) => {
    const at = args.indexOf(flag);
    return at >= 0 ? args[at + 1] : undefined;
  };
  const runtime = value("--runtime");
  await processesSection({
    lines: Number(value("--lines") ?? 1_000_000),
    runs: Number(value("--runs") ?? 1),
    runtime: runtime === "deno" ? "deno" : "bun",
  });
}
