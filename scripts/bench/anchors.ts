/**
 * The anchors: ringside beside the established tools that do one of its jobs, measured in the
 * same run, in interleaved runs (run 1 of each, then run 2…), with the median of the run-by-run
 * ratios. Three long sections (run by name, e.g. `--only nchan,nchan-idle,websocketd`):
 *
 * - `nchan`: SSE events delivered per server CPU-second, one topic, ringside (a job, Bun,
 *   `--progress-interval 1ms`, or `--anchor-interval`) against nginx + nchan (Debian's
 *   `libnginx-mod-nchan`, one worker):
 *   50, 500 and 2,000 subscribers with the publisher paced (500, 150 and 30/s: both servers
 *   deliver every message), then 500 and 2,000 with it as fast as the answers come (one publish
 *   in flight).
 * - `nchan-idle`: resident memory per idle SSE subscriber, `--idle-spectators` of them (10,000)
 *   over 100 topics: ringside's jobs against nchan's channels.
 * - `websocketd`: `--ws-lines` (200,000) lines to one WebSocket client, from `seq` and from a
 *   producer paced at `--ws-rate` (200,000/s), counting the lines that arrive: a producer under
 *   `ringside run` with a hub subscriber, against websocketd (Debian's) running the same producer;
 *   lines/s at the client, CPU per line (ringside: the server, plus `ringside run` with the
 *   producer; websocketd: itself, not its child), peak RSS of the server.
 *
 * The SSE readers, the publisher and the WebSocket client are `scripts/bench/_loadgen.c`,
 * compiled with `cc` into `.bench/`: 2,000 readers in JavaScript on the same two cores would be
 * the bottleneck, not the servers, and Deno's `WebSocket` used 70–85 % of a core to take 90,000
 * lines/s, which set the pace. The SSE readers and the publisher run under `nice -n 19`, as the
 * spectators section's audience does; the client's CPU is reported beside its result. nginx
 * and websocketd are installed with apt-get when missing. Everything listens on 127.0.0.1 and
 * every load generator stops after `--anchor-seconds` (5 s measured, after 1 s of warm-up).
 *
 * @module
 */

import {
  type BenchSection,
  type Context,
  fmtMB,
  log,
  type Options,
  recordFailure,
  table,
  times,
} from "./_context.ts";
import { nginxTempPaths } from "../../tests/_proxy.ts";
import {
  benchCache,
  capture,
  cpuSeconds,
  delay,
  freePort,
  median,
  openFilesHardLimit,
  Proc,
  residentBytes,
  root,
  type Server,
  startRingside,
  waitListening,
  withTimeout,
} from "./_harness.ts";
import { producerCommand } from "./processes.ts";

const loadgen = `${benchCache}/loadgen`;

/** The machine's load average (1, 5, 15 min), recorded with every figure. */
export async function loadAverage(): Promise<string> {
  const text = await Deno.readTextFile("/proc/loadavg").catch(() => "? ? ?");
  return text.split(" ").slice(0, 3).join(" ");
}

/** Compiles the load generator into `.bench/` unless it is there and newer than its source. */
async function ensureLoadgen(): Promise<void> {
  const source = `${root}scripts/bench/_loadgen.c`;
  const [built, written] = await Promise.all([
    Deno.stat(loadgen).catch(() => null),
    Deno.stat(source),
  ]);
  if (built && built.mtime! >= written.mtime!) return;
  await ensurePackages({ cc: "gcc" });
  await Deno.mkdir(benchCache, { recursive: true });
  const out = await new Deno.Command("cc", {
    args: ["-O2", "-o", loadgen, source],
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`cc failed: ${new TextDecoder().decode(out.stderr)}`);
}

/** Installs Debian packages for the commands (or files) that are missing. */
async function ensurePackages(wanted: Record<string, string>): Promise<void> {
  const missing: string[] = [];
  for (const [what, pkg] of Object.entries(wanted)) {
    const present = what.startsWith("/")
      ? await Deno.stat(what).then(() => true, () => false)
      : (await capture(["sh", "-c", `command -v ${what}`])) !== undefined;
    if (!present) missing.push(pkg);
  }
  if (missing.length === 0) return;
  log(`installing ${missing.join(" ")} (Debian packages)`);
  const out = await new Deno.Command("sh", {
    args: [
      "-c",
      `apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"`,
      "sh",
      ...missing,
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(
      `apt-get install ${missing.join(" ")} failed: ` +
        new TextDecoder().decode(out.stderr).slice(-500),
    );
  }
}

// ---------------------------------------------------------------------------------------------
// The servers

/** A server under test: where it listens, and the processes whose CPU and RSS count. */
interface Anchor {
  label: string;
  port: number;
  pids: () => number[];
  stop: () => Promise<void>;
}

async function startRingsideAnchor(extra: readonly string[]): Promise<Anchor & { origin: string }> {
  const server: Server = await startRingside("bun", [
    "--max-spectators",
    "20000",
    "--max-total-spectators",
    "100000",
    "--exit-on-stdin-close",
    ...extra,
  ], { openFiles: await openFilesHardLimit() });
  return {
    label: "ringside (bun)",
    origin: server.origin,
    port: Number(new URL(server.origin).port),
    pids: () => [server.proc.pid],
    stop: () => server.proc.stop(),
  };
}

/** nginx with nchan, one worker, in a folder of its own. */
async function startNchan(): Promise<Anchor> {
  await ensurePackages({
    "/usr/sbin/nginx": "nginx",
    "/usr/lib/nginx/modules/ngx_nchan_module.so": "libnginx-mod-nchan",
  });
  const dir = await Deno.makeTempDir({ prefix: "ringside-bench-nchan-" });
  const port = freePort();
  const files = await openFilesHardLimit();
  await Deno.writeTextFile(
    `${dir}/nginx.conf`,
    `worker_processes 1;
load_module /usr/lib/nginx/modules/ngx_nchan_module.so;
pid ${dir}/nginx.pid;
daemon off;
worker_rlimit_nofile ${files};
events { worker_connections ${files - 100}; }
http {
  access_log off;
${nginxTempPaths(dir)}
  server {
    listen 127.0.0.1:${port};
    location ~ ^/pub/(\\w+)$ { nchan_publisher; nchan_channel_id $1; }
    location ~ ^/sub/(\\w+)$ { nchan_subscriber; nchan_channel_id $1; }
  }
}
`,
  );
  const proc = Proc.spawn("nginx + nchan", [
    "sh",
    "-c",
    `ulimit -n "$1" && exec /usr/sbin/nginx -c "$2/nginx.conf" -p "$2" -e "$2/error.log"`,
    "sh",
    String(files),
    dir,
  ]);
  await waitListening(port, 10_000);
  return {
    label: "nginx + nchan (1 worker)",
    port,
    pids: () => [proc.pid, ...childrenOf(proc.pid)],
    stop: async () => {
      await proc.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

function childrenOf(pid: number): number[] {
  try {
    const text = Deno.readTextFileSync(`/proc/${pid}/task/${pid}/children`).trim();
    return text === "" ? [] : text.split(" ").map(Number);
  } catch {
    return [];
  }
}

function cpuOf(anchor: Anchor): number {
  return anchor.pids().reduce((sum, pid) => sum + cpuSeconds(pid), 0);
}

function rssOf(anchor: Anchor): number {
  return anchor.pids().reduce((sum, pid) => sum + residentBytes(pid), 0);
}

// ---------------------------------------------------------------------------------------------
// The SSE readers and the publisher (_loadgen.c)

/** `count` SSE readers of `path` (`{}`: the reader's index modulo `topics`). */
class Readers {
  #stdin: WritableStreamDefaultWriter<Uint8Array>;
  #child: Deno.ChildProcess;
  #lines: string[] = [];
  #wake: (() => void) | null = null;

  constructor(port: number, path: string, count: number, topics = 1) {
    const child = new Deno.Command("nice", {
      args: ["-n", "19", loadgen, "sse", String(port), path, String(count), String(topics)],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    this.#child = child;
    this.#stdin = child.stdin.getWriter();
    (async () => {
      const decoder = new TextDecoderStream();
      let carry = "";
      for await (const text of child.stdout.pipeThrough(decoder)) {
        carry += text;
        const lines = carry.split("\n");
        carry = lines.pop()!;
        this.#lines.push(...lines);
        this.#wake?.();
      }
      this.#wake?.();
    })();
  }

  async #next(what: string): Promise<string> {
    const deadline = Date.now() + 150_000;
    while (this.#lines.length === 0) {
      if (Date.now() > deadline) throw new Error(`The SSE readers did not say ${what}`);
      await withTimeout(
        new Promise<void>((resolve) => this.#wake = resolve),
        150_000,
        `the SSE readers to say ${what}`,
      );
    }
    return this.#lines.shift()!;
  }

  /** Every reader got its first bytes. */
  async ready(): Promise<void> {
    const line = await this.#next("ready");
    if (line !== "ready") throw new Error(`The SSE readers said '${line}'`);
  }

  /** Events received so far by all readers, and readers whose stream closed. */
  async mark(): Promise<{ events: number; closed: number }> {
    await this.#stdin.write(new TextEncoder().encode("mark\n"));
    const match = /^count (\d+) closed (\d+)$/.exec(await this.#next("count"));
    if (!match) throw new Error("The SSE readers answered no count");
    return { events: Number(match[1]), closed: Number(match[2]) };
  }

  async close(): Promise<void> {
    await this.#stdin.close().catch(() => {});
    await this.#child.status;
  }
}

function publisher(port: number, path: string, rate: number, seconds: number): Proc {
  return Proc.spawn("publisher", [
    "nice",
    "-n",
    "19",
    loadgen,
    "pub",
    String(port),
    path,
    String(rate),
    String(seconds),
  ]);
}

// ---------------------------------------------------------------------------------------------
// nchan: events per server CPU-second

interface FanOutSample {
  events: number;
  cpu: number;
  seconds: number;
  published: number;
  closed: number;
  load: string;
}

/** One measurement: readers connect, the publisher runs, events and CPU over the window. */
async function fanOutOnce(
  anchor: Anchor,
  paths: { sub: string; pub: string },
  subscribers: number,
  rate: number,
  window: number,
): Promise<FanOutSample> {
  const readers = new Readers(anchor.port, paths.sub, subscribers);
  try {
    await readers.ready();
    const pub = publisher(anchor.port, paths.pub, rate, window + 2);
    await delay(1000);
    const before = await readers.mark();
    const cpuBefore = cpuOf(anchor);
    const started = performance.now();
    await delay(window * 1000);
    const after = await readers.mark();
    const cpu = cpuOf(anchor) - cpuBefore;
    const seconds = (performance.now() - started) / 1000;
    const status = await withTimeout(pub.status, 30_000, "the publisher");
    if (!status.success) throw new Error(`The publisher failed: ${pub.tail()}`);
    const sent = Number(/sent (\d+)/.exec(pub.stdout)?.[1] ?? 0);
    return {
      events: after.events - before.events,
      cpu,
      seconds,
      published: sent,
      closed: after.closed,
      load: await loadAverage(),
    };
  } finally {
    await readers.close();
  }
}

interface Step {
  subscribers: number;
  /** Publishes per second; 0: as fast as the answers come. */
  rate: number;
}

// The paced steps are the ones where both servers deliver every message, so events per CPU-second
// compare the same work. As fast as answered, a reader that lags makes nchan write several queued
// messages at once (cheaper per message) while ringside's latest-wins progress skips the
// superseded ones (fewer messages for the same writes): there the ratio follows the readers'
// luck from run to run as much as the servers.
const steps: Step[] = [
  { subscribers: 50, rate: 500 },
  { subscribers: 500, rate: 150 },
  { subscribers: 2000, rate: 30 },
  { subscribers: 500, rate: 0 },
  { subscribers: 2000, rate: 0 },
];

/** The `nchan` section. */
export function nchanSection(options: Options): BenchSection {
  const window = options.anchorSeconds;
  const samples = new Map<string, FanOutSample[]>();
  const loads: string[] = [];
  return {
    name: "nchan",
    long: true,
    targets: [],
    async run(ctx: Context) {
      log(`\n== nchan: SSE events per server CPU-s, ${options.runs} run(s) of ${window} s`);
      await ensureLoadgen();
      const ringside = await startRingsideAnchor(["--progress-interval", options.anchorInterval]);
      const nchan = await startNchan();
      try {
        loads.push(await loadAverage());
        for (let run = 1; run <= options.runs; run++) {
          for (const step of steps) {
            for (const anchor of [ringside, nchan]) {
              const id = `anchor${run}x${step.subscribers}x${Date.now() % 100000}`;
              const paths = anchor === ringside
                ? { sub: `/api/v1/jobs/${id}`, pub: `/api/v1/jobs/${id}/progress` }
                : { sub: `/sub/${id}`, pub: `/pub/${id}` };
              if (anchor === ringside) {
                const res = await fetch(`${ringside.origin}/api/v1/jobs/${id}`, { method: "POST" });
                await res.body?.cancel();
              }
              const key = `${anchor.label}/${step.subscribers}/${step.rate}`;
              try {
                const sample = await fanOutOnce(anchor, paths, step.subscribers, step.rate, window);
                (samples.get(key) ?? samples.set(key, []).get(key)!).push(sample);
                log(
                  `  ${anchor.label}, ${step.subscribers} subscribers, ` +
                    `${
                      step.rate > 0 ? `paced ${step.rate}/s` : "as fast as answered"
                    }, run ${run}: ` +
                    `${Math.round(sample.events / sample.cpu)} events/CPU-s ` +
                    `(${Math.round(sample.events / sample.seconds)} events/s, ` +
                    `${Math.round(sample.published / (window + 2))} publishes/s, server CPU ` +
                    `${(sample.cpu / sample.seconds * 100).toFixed(0)} %, load ${sample.load})`,
                );
              } catch (error) {
                recordFailure(ctx, "nchan", `${key}, run ${run}`, error);
              }
            }
          }
        }
        loads.push(await loadAverage());
      } finally {
        await ringside.stop();
        await nchan.stop();
      }
    },
    report() {
      const rows = steps.map((step) => {
        const ours = samples.get(`ringside (bun)/${step.subscribers}/${step.rate}`) ?? [];
        const theirs = samples.get(`nginx + nchan (1 worker)/${step.subscribers}/${step.rate}`) ??
          [];
        const perCpu = (s: FanOutSample) => s.events / s.cpu;
        const ratios = ours.flatMap((s, i) => theirs[i] ? [perCpu(s) / perCpu(theirs[i]!)] : []);
        const rate = (list: FanOutSample[]) => median(list.map((s) => s.events / s.seconds));
        return [
          `${step.subscribers}`,
          step.rate > 0 ? `paced ${step.rate}/s` : "as fast as answered",
          Math.round(median(ours.map(perCpu))).toString(),
          Math.round(median(theirs.map(perCpu))).toString(),
          times(median(ratios)),
          ratios.map((r) => r.toFixed(2)).join(" "),
          `${Math.round(rate(ours))} / ${Math.round(rate(theirs))}`,
        ];
      });
      return [[
        "Anchor: SSE events delivered per server CPU-second, one topic: ringside (Bun, a job, " +
        `--progress-interval ${options.anchorInterval}) ÷ nginx + nchan (one worker); ` +
        "readers and publisher in C " +
        `(_loadgen.c), ${window} s windows; load average ${loads.join(" → ")}`,
        table(
          [
            "subscribers",
            "publisher",
            "ringside ev/CPU-s",
            "nchan ev/CPU-s",
            "ratio (run by run)",
            "runs",
            "events/s ringside / nchan",
          ],
          rows,
        ),
      ]];
    },
  };
}

// ---------------------------------------------------------------------------------------------
// nchan-idle: memory per idle subscriber

/** The `nchan-idle` section. */
export function nchanIdleSection(options: Options): BenchSection {
  const count = options.idleSpectators;
  const topics = 100;
  const perConnection = new Map<string, number[]>();
  const loads: string[] = [];
  return {
    name: "nchan-idle",
    long: true,
    targets: [],
    async run(ctx: Context) {
      log(`\n== nchan-idle: ${count} idle SSE subscribers over ${topics} topics`);
      await ensureLoadgen();
      loads.push(await loadAverage());
      for (let run = 1; run <= options.runs; run++) {
        for (const kind of ["ringside", "nchan"] as const) {
          const anchor = kind === "ringside" ? await startRingsideAnchor([]) : await startNchan();
          try {
            const prefix = `idle${run}t`;
            if ("origin" in anchor) {
              for (let t = 0; t < topics; t++) {
                const url = `${anchor.origin}/api/v1/jobs/${prefix}${t}`;
                await (await fetch(url, { method: "POST" })).body?.cancel();
              }
            } else {
              // One request so that the worker has served something, as ringside has.
              await (await fetch(`http://127.0.0.1:${anchor.port}/pub/${prefix}0`, {
                method: "POST",
                body: "{}",
              })).body?.cancel();
            }
            await delay(500);
            const before = rssOf(anchor);
            const path = kind === "ringside" ? `/api/v1/jobs/${prefix}{}` : `/sub/${prefix}{}`;
            const readers = new Readers(anchor.port, path, count, topics);
            try {
              await readers.ready();
              await delay(2000);
              const { closed } = await readers.mark();
              if (closed > 0) throw new Error(`${closed} idle subscribers were closed`);
              const kib = (rssOf(anchor) - before) / count / 1024;
              (perConnection.get(kind) ?? perConnection.set(kind, []).get(kind)!).push(kib);
              log(
                `  ${anchor.label}, run ${run}: ${fmtMB(before)} before, ${kib.toFixed(1)} KiB ` +
                  `per connection (load ${await loadAverage()})`,
              );
            } finally {
              await readers.close();
            }
          } catch (error) {
            recordFailure(ctx, "nchan-idle", `${kind}, run ${run}`, error);
          } finally {
            await anchor.stop();
          }
        }
      }
      loads.push(await loadAverage());
    },
    report() {
      const ours = perConnection.get("ringside") ?? [];
      const theirs = perConnection.get("nchan") ?? [];
      const ratios = ours.flatMap((k, i) => theirs[i] ? [k / theirs[i]!] : []);
      return [[
        `Anchor: resident memory per idle SSE subscriber, ${count} over ${topics} topics ` +
        `(RSS with them − RSS before, ÷ ${count}); load average ${loads.join(" → ")}`,
        table(["server", "KiB per connection (median)", "runs"], [
          ["ringside (bun)", median(ours).toFixed(1), ours.map((k) => k.toFixed(1)).join(" ")],
          [
            "nginx + nchan (1 worker)",
            median(theirs).toFixed(1),
            theirs.map((k) => k.toFixed(1)).join(" "),
          ],
          ["ratio (run by run)", times(median(ratios)), ratios.map((r) => r.toFixed(2)).join(" ")],
        ], 1),
      ]];
    },
  };
}

// ---------------------------------------------------------------------------------------------
// websocketd: lines to one WebSocket client

interface LinesSample {
  /** Lines the client got (`ringside run` drops lines the server cannot take, as gaps). */
  lines: number;
  linesPerSec: number;
  cpuPerLine: number;
  peakRss: number;
  clientCpu: number;
  seconds: number;
  load: string;
}

/**
 * One WebSocket client (`_loadgen.c ws`) of `path` on 127.0.0.1:`port`: it sends `send` once
 * open, then counts the messages containing `line` until one contains `end` or the server
 * closes. `opened` resolves once the server confirmed the subscription; `done` gives the lines,
 * the time from the first to the last, and the client's own CPU seconds.
 */
function wsClient(
  port: number,
  path: string,
  marks: { send: string; line: string; end: string },
): { opened: Promise<unknown>; done: Promise<{ lines: number; seconds: number; cpu: number }> } {
  // The shell's children's CPU (cutime + cstime) once it has waited for the client.
  const proc = Proc.spawn("WebSocket client", [
    "sh",
    "-c",
    `"$@"; cat /proc/$$/stat`,
    "sh",
    loadgen,
    "ws",
    String(port),
    path,
    marks.send,
    marks.line,
    marks.end,
  ]);
  const opened = proc.waitForOutput(/^open$/m, 30_000);
  const done = withTimeout(proc.status, 330_000, "the WebSocket client").then(() => {
    const match = /lines (\d+) seconds ([\d.]+)/.exec(proc.stdout);
    if (!match) throw new Error(`The WebSocket client failed: ${proc.tail()}`);
    return { lines: Number(match[1]), seconds: Number(match[2]), cpu: childCpu(proc.stdout) };
  });
  return { opened, done };
}

/** The children's CPU seconds (cutime + cstime) in the last `/proc/PID/stat` line of `text`. */
function childCpu(text: string): number {
  const stat = text.trim().split("\n").at(-1) ?? "";
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[13]) + Number(fields[14])) / ticks();
}

/** The `websocketd` section. */
export function websocketdSection(options: Options): BenchSection {
  const lines = options.wsLines;
  const samples = new Map<string, LinesSample[]>();
  const loads: string[] = [];
  // Unpaced, `ringside run` never holds the command: lines the server cannot take are dropped as
  // gaps, while websocketd holds the producer to its pace. Paced at --ws-rate, under what ringside
  // takes and over what websocketd does, ringside must deliver every line; websocketd still holds
  // the producer back.
  const producers = [
    {
      label: "seq, unpaced",
      args: (_dir: string) => Promise.resolve(["seq", "-f", "line %.0f", "1", `${lines}`]),
    },
    {
      label: `paced ${options.wsRate}/s`,
      args: (dir: string) => producerCommand(dir, lines, options.wsRate),
    },
  ];
  return {
    name: "websocketd",
    long: true,
    targets: [],
    async run(ctx: Context) {
      log(`\n== websocketd: ${lines} lines to one WebSocket client, ${options.runs} run(s)`);
      await ensurePackages({ websocketd: "websocketd" });
      await ensureLoadgen();
      loads.push(await loadAverage());
      const dir = await Deno.makeTempDir({ prefix: "ringside-bench-websocketd-" });
      const ringside = await startRingsideAnchor([]);
      try {
        for (let run = 1; run <= options.runs; run++) {
          for (const producer of producers) {
            for (const kind of ["ringside", "websocketd"] as const) {
              const key = `${kind}/${producer.label}`;
              try {
                const sample = kind === "ringside"
                  ? await ringsideLines(ringside, await producer.args(dir), run)
                  : await websocketdLines(await producer.args(dir));
                if (sample.linesPerSec === 0) throw new Error("no line arrived");
                (samples.get(key) ?? samples.set(key, []).get(key)!).push(sample);
                log(
                  `  ${kind}, ${producer.label}, run ${run}: ${sample.lines} of ${lines} lines, ` +
                    `${Math.round(sample.linesPerSec)} lines/s, ` +
                    `${(sample.cpuPerLine * 1e6).toFixed(1)} µs CPU/line, server peak RSS ` +
                    `${fmtMB(sample.peakRss)}, client CPU ${sample.clientCpu.toFixed(2)} s in ` +
                    `${sample.seconds.toFixed(2)} s (load ${sample.load})`,
                );
              } catch (error) {
                recordFailure(ctx, "websocketd", `${key}, run ${run}`, error);
              }
            }
          }
        }
      } finally {
        await ringside.stop();
        await Deno.remove(dir, { recursive: true }).catch(() => {});
      }
      loads.push(await loadAverage());
    },
    report() {
      return producers.map((producer) => producerReport(producer.label));
    },
  };

  function producerReport(label: string): string[] {
    const ours = samples.get(`ringside/${label}`) ?? [];
    const theirs = samples.get(`websocketd/${label}`) ?? [];
    const paired = (f: (s: LinesSample) => number) =>
      median(ours.flatMap((s, i) => theirs[i] ? [f(s) / f(theirs[i]!)] : []));
    const row = (server: string, list: LinesSample[]) => [
      server,
      Math.round(median(list.map((s) => s.lines))).toString(),
      Math.round(median(list.map((s) => s.linesPerSec))).toString(),
      (median(list.map((s) => s.cpuPerLine)) * 1e6).toFixed(2),
      fmtMB(median(list.map((s) => s.peakRss))),
      median(list.map((s) => s.clientCpu / s.seconds * 100)).toFixed(0) + " %",
    ];
    return [
      `Anchor: ${lines} lines (${label}) to one WebSocket client (_loadgen.c): ` +
      "`ringside run` + the hub ÷ websocketd; load average " + loads.join(" → "),
      table(
        ["", "lines got", "lines/s", "µs CPU/line", "server peak RSS", "client CPU"],
        [
          row("ringside run + hub (bun)", ours),
          row("websocketd", theirs),
          [
            "ratio (run by run)",
            times(paired((s) => s.lines)),
            times(paired((s) => s.linesPerSec)),
            times(paired((s) => s.cpuPerLine)),
            times(paired((s) => s.peakRss)),
            "",
          ],
        ],
        1,
      ),
      "  CPU/line: ringside = server + `ringside run` (+ seq, a few ms); websocketd = its own " +
      "(not seq's). client CPU = the client's CPU over its first-to-last-line time: near 100 % " +
      "means the client, not the server, set the pace. lines got: fewer than sent are lines " +
      "`ringside run` dropped as gaps because the server could not take them; the paced " +
      "producer's own CPU (Bun) counts in ringside's CPU/line, not in websocketd's.",
    ];
  }
}

async function ringsideLines(
  ringside: Anchor & { origin: string },
  producer: string[],
  run: number,
): Promise<LinesSample> {
  const id = `ws-${run}-${Date.now()}`;
  const api = `${ringside.origin}/api/v1/processes/${id}`;
  await (await fetch(`${api}/status`, { method: "POST", body: '{"status":"running"}' })).body
    ?.cancel();
  const client = wsClient(ringside.port, "/api/v1/ws", {
    send: JSON.stringify({ type: "subscribe", data: `process:${id}` }),
    line: '"process_output"',
    // The final status (`seq` exits 0).
    end: '"status":"exited"',
  });
  await client.opened;
  const cpuBefore = cpuOf(ringside);
  const sampler = peakSampler(ringside);
  // The shell's children's CPU (cutime + cstime) once it has waited for `ringside run`.
  const run_ = new Deno.Command("sh", {
    args: [
      "-c",
      `"$@" >/dev/null 2>&1; cat /proc/$$/stat`,
      "sh",
      `${root}node_modules/.bin/bun`,
      `${root}main.ts`,
      "run",
      "--server",
      ringside.origin,
      "--id",
      id,
      "--",
      ...producer,
    ],
    stdout: "piped",
  }).output();
  const [ran, heard] = await Promise.all([
    run_,
    withTimeout(client.done, 300_000, "the WebSocket client"),
  ]);
  const runCpu = childCpu(new TextDecoder().decode(ran.stdout));
  const cpu = cpuOf(ringside) - cpuBefore + runCpu;
  return {
    lines: heard.lines,
    linesPerSec: heard.lines / Math.max(heard.seconds, 1e-3),
    cpuPerLine: cpu / Math.max(heard.lines, 1),
    peakRss: sampler.stop(),
    clientCpu: heard.cpu,
    seconds: heard.seconds,
    load: await loadAverage(),
  };
}

async function websocketdLines(producer: string[]): Promise<LinesSample> {
  const port = freePort();
  const proc = Proc.spawn("websocketd", [
    "websocketd",
    "--address",
    "127.0.0.1",
    "--port",
    String(port),
    "--loglevel",
    "error",
    ...producer,
  ]);
  try {
    await waitListening(port, 10_000);
    const anchor: Anchor = {
      label: "websocketd",
      port,
      pids: () => [proc.pid],
      stop: () => proc.stop(),
    };
    const cpuBefore = cpuOf(anchor);
    const sampler = peakSampler(anchor);
    const client = wsClient(port, "/", { send: "", line: "", end: "" });
    await client.opened;
    const heard = await withTimeout(client.done, 300_000, "the WebSocket client");
    return {
      lines: heard.lines,
      linesPerSec: heard.lines / Math.max(heard.seconds, 1e-3),
      cpuPerLine: (cpuOf(anchor) - cpuBefore) / Math.max(heard.lines, 1),
      peakRss: sampler.stop(),
      clientCpu: heard.cpu,
      seconds: heard.seconds,
      load: await loadAverage(),
    };
  } finally {
    await proc.stop();
  }
}

function peakSampler(anchor: Anchor): { stop: () => number } {
  let peak = rssOf(anchor);
  const timer = setInterval(() => peak = Math.max(peak, rssOf(anchor)), 20);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, rssOf(anchor));
    },
  };
}

let clockTicks = 0;

function ticks(): number {
  clockTicks ||= Number(
    new TextDecoder().decode(
      new Deno.Command("getconf", { args: ["CLK_TCK"] }).outputSync().stdout,
    ),
  ) || 100;
  return clockTicks;
}
