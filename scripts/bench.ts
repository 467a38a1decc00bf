/**
 * Relay benchmark: ringside on Bun and on Deno against piping-server (Node) and a raw TCP
 * ceiling (socat), measured in one run on this machine. It prints figures; it is not a test.
 *
 * ```sh
 * deno run -A scripts/bench.ts                  # the default run (1 GB, 3 runs, ~2 min on 2 cores)
 * deno run -A scripts/bench.ts --quick          # smoke check (200 MB, 1 run)
 * deno run -A scripts/bench.ts --only piping,ceiling --size 500M
 * deno run -A scripts/bench.ts --long --only bun --long-size 2G   # memory soak, opt-in
 * ```
 *
 * Sections: (1) throughput of a Content-Length upload (`curl -T FILE`) and a chunked one
 * (`cat FILE | curl -T -`), receiver `curl -o /dev/null`, timed from spawning both curls to the
 * receiver's exit, and (1b) the time of a 2 MB transfer (rendezvous and curl's
 * `Expect: 100-continue` handshake); (2) the same Content-Length transfer with 0, 50 and 500 SSE
 * spectators reading in a separate process at the lowest CPU priority; (3) ringside / piping-server; (4) `tar -cf - DIR | curl -T -` to a receiver
 * capped at `curl --limit-rate 50M`; (5) the server's peak RSS during every ringside transfer;
 * (6) the cadence of `progress` events seen by one spectator of the capped transfer.
 * `--long`: one long transfer to a slow receiver, sampling RSS throughout.
 *
 * Exits 1 when a transfer failed (error, truncation, hang); missed targets only print a flag.
 *
 * @module
 */

import type { AudienceReport } from "./_audience.ts";
import {
  type BareCount,
  benchCache,
  capture,
  cpuSeconds,
  curlRateBytes,
  delay,
  ensurePipingServer,
  median,
  parseSize,
  percentile,
  pipingVersion,
  Proc,
  ProcessProbe,
  rawTransfer,
  residentBytes,
  root,
  type Runtime,
  type Server,
  Spectator,
  type SpectatorReport,
  startBareRelay,
  startPipingServer,
  startRingside,
  stopAll,
  transfer,
  type TransferResult,
  type Upload,
  withTimeout,
} from "./_bench_harness.ts";

// ---------------------------------------------------------------------------------------------
// Options

const targetNames = [
  "ceiling",
  "piping",
  "bare",
  "bare-pull",
  "bare-transform",
  "bun",
  "deno",
] as const;
const sectionNames = ["throughput", "spectators", "tar"] as const;
type Target = (typeof targetNames)[number];
type Section = (typeof sectionNames)[number];
type Mode = "length" | "chunked";

type BareTarget = "bare" | "bare-pull" | "bare-transform";
const bareCounts: Record<BareTarget, BareCount> = {
  bare: "none",
  "bare-pull": "pull",
  "bare-transform": "transform",
};

const aliases: Record<string, readonly (Target | Section)[]> = {
  counting: ["bare", "bare-pull", "bare-transform"],
  ringside: ["bun", "deno"],
  raw: ["ceiling"],
  socat: ["ceiling"],
  "piping-server": ["piping"],
  cadence: ["tar"],
};

interface Options {
  size: number;
  runs: number;
  tarSize: number;
  targets: Target[];
  sections: Section[];
  spectatorCounts: number[];
  long: boolean;
  longSize: number;
  longRate: string;
  noExpect: boolean;
}

const usage = `Usage: deno run -A scripts/bench.ts [options]

  --size SIZE          bytes per transfer (default 1G; K/M/G = 10^3/10^6/10^9, Ki/Mi/Gi binary)
  --runs N             runs of each measurement; median and min–max are printed (default 3)
  --only LIST          comma-separated relays and/or sections to run:
                         relays: ceiling, piping, bare, bare-pull, bare-transform, bun, deno,
                         ringside (= bun,deno), counting (= the three bare ones)
                         (bare: scripts/_bare_relay.ts, one JS stream on Bun; -pull counts in
                         its pull, -transform in a separate ByteCounter stage)
                         sections: throughput, spectators, tar (also: cadence)
  --tar-size SIZE      size of the directory tarred in the capped-receiver run (default 500M)
  --spectators LIST    spectator counts of section 2 (default 0,50,500)
  --quick              smoke check: --size 200M --runs 1 --tar-size 200M
  --long               only the memory soak: one transfer of --long-size to a receiver capped
                       at --long-rate, RSS sampled throughout (10G at 10M takes ~17 min)
  --long-size SIZE     default 10G
  --long-rate RATE     curl --limit-rate of the soak's receiver (default 10M)
  --no-expect          senders pass -H "Expect:" (no 100-continue handshake): a diagnostic,
                       since a plain \`curl -T\` sends Expect: 100-continue above 1 MiB
  --help`;

const switchNames = ["quick", "long", "help", "no-expect"];
const valueNames = ["size", "runs", "only", "tar-size", "spectators", "long-size", "long-rate"];

function parseOptions(args: readonly string[]): Options {
  const values = new Map<string, string>();
  const switches = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!match) throw new TypeError(`Unexpected argument '${arg}'\n\n${usage}`);
    const name = match[1]!;
    if (switchNames.includes(name)) {
      switches.add(name);
    } else if (!valueNames.includes(name)) {
      throw new TypeError(`Unknown option '--${name}'\n\n${usage}`);
    } else if (match[2] !== undefined) {
      values.set(name, match[2]);
    } else if (i + 1 < args.length) {
      values.set(name, args[++i]!);
    } else {
      throw new TypeError(`Missing value for --${name}`);
    }
  }
  if (switches.has("help")) {
    console.log(usage);
    Deno.exit(0);
  }
  const quick = switches.has("quick");
  const runs = Number(values.get("runs") ?? (quick ? 1 : 3));
  if (!Number.isInteger(runs) || runs < 1) throw new RangeError(`Invalid --runs '${runs}'`);
  const longRate = values.get("long-rate") ?? "10M";
  curlRateBytes(longRate);
  const { targets, sections } = parseOnly(values.get("only"));
  return {
    size: parseSize(values.get("size") ?? (quick ? "200M" : "1G")),
    runs,
    tarSize: parseSize(values.get("tar-size") ?? (quick ? "200M" : "500M")),
    targets,
    sections,
    spectatorCounts: (values.get("spectators") ?? "0,50,500").split(",").map((n) => {
      const count = Number(n);
      if (!Number.isInteger(count) || count < 0) throw new RangeError(`Invalid count '${n}'`);
      return count;
    }),
    long: switches.has("long"),
    longSize: parseSize(values.get("long-size") ?? "10G"),
    longRate,
    noExpect: switches.has("no-expect"),
  };
}

function parseOnly(only: string | undefined): { targets: Target[]; sections: Section[] } {
  const picked = new Set<string>();
  for (const word of (only ?? "").split(",").map((w) => w.trim()).filter((w) => w !== "")) {
    const expanded = aliases[word] ?? [word];
    for (const name of expanded) {
      if (![...targetNames, ...sectionNames].includes(name as Target)) {
        throw new TypeError(`Unknown --only item '${word}'`);
      }
      picked.add(name);
    }
  }
  const targets = targetNames.filter((t) => picked.has(t));
  const sections = sectionNames.filter((s) => picked.has(s));
  return {
    targets: targets.length > 0 ? targets : [...targetNames],
    sections: sections.length > 0 ? sections : [...sectionNames],
  };
}

// ---------------------------------------------------------------------------------------------
// Results

interface Sample {
  mbps: number;
  seconds: number;
  bytes: number;
  /** Server peak RSS in bytes during the transfer (ringside and piping-server). */
  rss: number | undefined;
  /** Server CPU time (user + system) during the transfer, in seconds. */
  cpuSeconds: number | undefined;
  /** Which run (1…`--runs`) it belongs to, so runs can be paired. */
  run: number;
}

/** What {@linkcode record} files a measurement under. */
interface Label {
  /** `section/relay/variant` */
  key: string;
  /** For the progress lines. */
  what: string;
  run: number;
}

interface Series {
  samples: Sample[];
  errors: string[];
  /** Spectator runs: mean `progress` events per spectator, one value per run. */
  progressPerSpectator: number[];
  /** Spectator runs: spectators that did not end with `done`, summed over runs. */
  missingDone: number;
  /** Spectator runs: CPU of this process (the SSE readers) over wall time, one value per run. */
  readerCpu: number[];
}

class Results {
  readonly #series = new Map<string, Series>();
  /** Progress intervals (ms) seen by the cadence spectator, by runtime. */
  readonly cadence = new Map<Runtime, number[]>();
  /** The `mbps` of every `progress` event the cadence spectator saw, by runtime. */
  readonly reportedMbps = new Map<Runtime, number[]>();
  /** Server RSS right after the warm-up and after the last transfer, by server label. */
  readonly rssAround = new Map<string, { start: number; end: number }>();
  /** The long soak, by runtime. */
  readonly soak = new Map<Runtime, { result: TransferResult; peak: number; rssEnd: number }>();

  get(key: string): Series {
    let series = this.#series.get(key);
    if (!series) {
      series = { samples: [], errors: [], progressPerSpectator: [], missingDone: 0, readerCpu: [] };
      this.#series.set(key, series);
    }
    return series;
  }

  get failed(): boolean {
    return [...this.#series.values()].some((s) => s.errors.length > 0);
  }

  errors(): string[] {
    return [...this.#series].flatMap(([key, s]) => s.errors.map((e) => `${key}: ${e}`));
  }
}

// ---------------------------------------------------------------------------------------------
// Setup

interface Context {
  options: Options;
  work: string;
  /** `--size` random bytes. */
  dataFile: string;
  servers: Map<Target, Server>;
  results: Results;
  /** Set when the bench stops its servers itself. */
  stopping: boolean;
}

const mb = 1e6;

function log(line: string): void {
  console.error(line);
}

async function writeRandomFile(path: string, bytes: number): Promise<void> {
  using file = await Deno.open(path, { write: true, create: true, truncate: true });
  const block = new Uint8Array(1 << 20);
  for (let written = 0; written < bytes; written += block.length) {
    const chunk = block.subarray(0, Math.min(block.length, bytes - written));
    for (let at = 0; at < chunk.length; at += 65536) {
      crypto.getRandomValues(chunk.subarray(at, at + 65536));
    }
    for (let at = 0; at < chunk.length;) at += await file.write(chunk.subarray(at));
  }
}

/** A directory of `bytes` bytes of random data in big and small files, as a real tree has. */
async function makeTree(dir: string, dataFile: string, bytes: number): Promise<void> {
  await Deno.mkdir(`${dir}/small`, { recursive: true });
  using data = await Deno.open(dataFile);
  const dataSize = (await data.stat()).size;
  let left = bytes;
  for (let i = 0; left > 0; i++) {
    const size = Math.min(left, i % 64 === 0 ? 16 * mb : i % 2 === 0 ? 4 * mb : 20_000 + i * 97);
    const buffer = new Uint8Array(size);
    await data.seek((bytes - left) % Math.max(1, dataSize - size), Deno.SeekMode.Start);
    for (let at = 0; at < size;) {
      const n = await data.read(buffer.subarray(at));
      if (n === null) break;
      at += n;
    }
    const path = size < mb ? `${dir}/small/f${i}.bin` : `${dir}/part-${i}.bin`;
    await Deno.writeFile(path, buffer);
    left -= size;
  }
}

async function tarSize(dir: string): Promise<number> {
  const out = await capture(["sh", "-c", `tar -cf - -C "$1" . | wc -c`, "sh", dir]);
  if (out === undefined) throw new Error("tar failed");
  return Number(out);
}

async function startServers(ctx: Context): Promise<void> {
  const ringsideFlags = [
    "--max-spectators",
    "1000",
    "--max-total-spectators",
    "100000",
    "--exit-on-stdin-close",
  ];
  for (const target of ctx.options.targets) {
    if (target === "ceiling") continue;
    const server = target === "piping"
      ? await startPipingServer()
      : target in bareCounts
      ? await startBareRelay(bareCounts[target as BareTarget], targetLabel(target))
      : await startRingside(target as Runtime, ringsideFlags);
    ctx.servers.set(target, server);
    log(`started ${server.label} at ${server.origin} (pid ${server.proc.pid})`);
    server.proc.status.then((status) => {
      if (ctx.stopping) return;
      const how = status.signal ? `signal ${status.signal}` : `exit code ${status.code}`;
      log(
        `\n!! ${server.label} (pid ${server.proc.pid}) exited on its own: ${how}\n${server.proc.tail()}`,
      );
    });
    await warmUp(ctx, server);
    ctx.results.rssAround.set(server.label, { start: rssNow(server), end: 0 });
  }
}

function rssNow(server: Server): number {
  return residentBytes(server.proc.pid);
}

/** One 32 MB transfer per server checked byte for byte (sha256), which also warms the JIT. */
async function warmUp(ctx: Context, server: Server): Promise<void> {
  const file = `${ctx.work}/warm.bin`;
  await Deno.stat(file).catch(() => writeRandomFile(file, 32 * mb));
  const expected = (await capture(["sha256sum", file]))?.split(" ")[0];
  const url = server.pipeUrl(pipeName("warm-up"));
  const receiver = Proc.spawn("warm-up receiver", [
    "sh",
    "-c",
    `curl -sS --fail "$1" | sha256sum`,
    "sh",
    url,
  ]);
  const sender = Proc.spawn("warm-up sender", ["curl", "-sS", "--fail", "-T", file, url]);
  try {
    await withTimeout(Promise.all([receiver.status, sender.status]), 60_000, "the warm-up");
  } finally {
    receiver.kill();
    sender.kill();
  }
  const hash = receiver.stdout.split(" ")[0];
  if (hash !== expected) {
    throw new Error(
      `${server.label}: the warm-up transfer is not byte-identical (sha256 ${hash}, ` +
        `expected ${expected})\n${receiver.tail()}\n${sender.tail()}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Measurements

function timeoutFor(bytes: number, bytesPerSec = 5 * mb): number {
  return 60_000 + (bytes / bytesPerSec) * 1000;
}

async function record(
  ctx: Context,
  { key, what, run }: Label,
  measure: () => Promise<Omit<Sample, "run">>,
): Promise<Sample | undefined> {
  const series = ctx.results.get(key);
  try {
    const sample = { ...await measure(), run };
    series.samples.push(sample);
    const cpu = (sample.cpuSeconds ?? NaN) / sample.seconds;
    const rss = sample.rss === undefined
      ? ""
      : `, server peak RSS ${fmtMB(sample.rss)}, CPU ${pct(cpu)} of a core`;
    log(`  ${what}: ${fmtRate(sample.mbps)} MB/s in ${sample.seconds.toFixed(2)} s${rss}`);
    return sample;
  } catch (error) {
    const message = (error as Error).message;
    series.errors.push(message.split("\n")[0]!);
    log(`  ${what}: FAILED ${message}`);
    return undefined;
  } finally {
    await delay(200);
  }
}

interface RelayOnceOptions {
  server: Server;
  upload: Upload;
  name: string;
  expectedBytes: number;
  limitRate?: string;
  timeoutMs: number;
  /** Sender without `Expect: 100-continue`. @default `--no-expect` */
  noExpect?: boolean;
}

/** One transfer through `server` while its RSS and CPU are watched. */
async function relayOnce(ctx: Context, options: RelayOnceOptions): Promise<Omit<Sample, "run">> {
  const probe = new ProcessProbe(options.server.proc.pid);
  try {
    const result = await transfer({
      url: options.server.pipeUrl(options.name),
      upload: options.upload,
      expectedBytes: options.expectedBytes,
      timeoutMs: options.timeoutMs,
      noExpect: options.noExpect ?? ctx.options.noExpect,
      ...(options.limitRate === undefined ? {} : { limitRate: options.limitRate }),
    });
    const { peakRss, cpuSeconds } = probe.stop();
    return { ...result, rss: peakRss, cpuSeconds };
  } finally {
    probe.stop();
  }
}

function pipeName(...parts: (string | number)[]): string {
  return `bench-${parts.join("-")}-${crypto.randomUUID().slice(0, 8)}`;
}

const modeLabel: Record<Mode, string> = {
  length: "Content-Length",
  chunked: "chunked",
};

async function benchThroughput(ctx: Context): Promise<void> {
  const { options } = ctx;
  log(`\n== 1. throughput, ${fmtMB(options.size)} per transfer, ${options.runs} run(s)`);
  for (let run = 1; run <= options.runs; run++) {
    for (const mode of ["length", "chunked"] as const) {
      for (const target of options.targets) {
        const upload = { kind: mode, file: ctx.dataFile };
        const what = `${targetLabel(target)}, ${modeLabel[mode]}, run ${run}`;
        const timeoutMs = timeoutFor(options.size);
        await record(ctx, { key: `throughput/${target}/${mode}`, what, run }, async () => {
          if (target === "ceiling") {
            const result = await rawTransfer(upload, { expectedBytes: options.size, timeoutMs });
            return { ...result, rss: undefined, cpuSeconds: undefined };
          }
          const name = pipeName(target, mode, run);
          return await relayOnce(ctx, {
            server: ctx.servers.get(target)!,
            upload,
            name,
            expectedBytes: options.size,
            timeoutMs,
          });
        });
      }
    }
  }
}

/** Bytes of the start-up latency transfer: above 1 MiB, where curl sends `Expect: 100-continue`. */
const latencyBytes = 2 * mb;

/**
 * Start-up latency: a 2 MB transfer is over in milliseconds, so its time is the handshake:
 * rendezvous, and curl's `Expect: 100-continue` (curl waits 1 s for `100 Continue` before it
 * sends the body when the server answers nothing, or answers the final status first).
 */
async function benchLatency(ctx: Context): Promise<void> {
  const { options } = ctx;
  const file = `${ctx.work}/small.bin`;
  await writeRandomFile(file, latencyBytes);
  log(`\n== 1b. start-up latency: ${fmtMB(latencyBytes)} transfers, ${options.runs} run(s)`);
  for (let run = 1; run <= options.runs; run++) {
    for (const mode of ["length", "chunked"] as const) {
      for (const target of options.targets) {
        const server = ctx.servers.get(target);
        if (!server) continue;
        const what = `${targetLabel(target)}, ${modeLabel[mode]}, latency run ${run}`;
        const upload = { kind: mode, file };
        const name = pipeName(target, "latency", mode, run);
        const label = { key: `latency/${target}/${mode}`, what, run };
        await record(
          ctx,
          label,
          () =>
            relayOnce(ctx, {
              server,
              upload,
              name,
              expectedBytes: latencyBytes,
              timeoutMs: 30_000,
            }),
        );
      }
    }
  }
}

async function benchSpectators(ctx: Context, runtimes: Runtime[]): Promise<void> {
  const { options } = ctx;
  const counts = options.spectatorCounts.join("/");
  log(
    `\n== 2. ${counts} spectators on a ${fmtMB(options.size)} Content-Length transfer (no Expect)`,
  );
  for (let run = 1; run <= options.runs; run++) {
    for (const runtime of runtimes) {
      for (const count of options.spectatorCounts) {
        for (const audience of count === 0 ? [null] : audiences) {
          const key = spectatorKey(runtime, count, audience);
          const where = audience ? `, audience ${audience}` : "";
          const what = `ringside (${runtime}), ${count} spectators${where}, run ${run}`;
          await record(
            ctx,
            { key, what, run },
            () => watchedTransfer(ctx, { runtime, count, key, audience }),
          );
        }
      }
    }
  }
}

/**
 * Where the spectators' readers run while the transfer runs:
 * - `elsewhere`: the audience process is stopped (SIGSTOP) during the transfer and resumed after
 *   it. The server still writes every event to every socket (a few KB each, which loopback
 *   buffers take at once), so all of its work is measured; the readers' own CPU, which a real
 *   audience spends on its own machines, stays off the relay's cores.
 * - `alongside`: the audience reads during the transfer at `nice -n 19`, on the same cores.
 */
type Audience = "elsewhere" | "alongside";
const audiences: readonly Audience[] = ["elsewhere", "alongside"];

function spectatorKey(runtime: Runtime, count: number, audience: Audience | null): string {
  return `spectators/${runtime}/${count}${audience ? `/${audience}` : ""}`;
}

/**
 * A Content-Length transfer with `count` SSE spectators connected before it starts, reading in
 * `scripts/_audience.ts`, a separate process.
 */
async function watchedTransfer(
  ctx: Context,
  { runtime, count, key, audience: where }: {
    runtime: Runtime;
    count: number;
    key: string;
    audience: Audience | null;
  },
): Promise<Omit<Sample, "run">> {
  const server = ctx.servers.get(runtime)!;
  const name = pipeName(runtime, "watched", count);
  const audience = count === 0 ? null : Proc.spawn(`audience of ${count}`, [
    "nice",
    "-n",
    "19",
    Deno.execPath(),
    "run",
    "-A",
    `${root}scripts/_audience.ts`,
    `${server.pipeUrl(name)}?progress`,
    String(count),
  ]);
  try {
    await audience?.waitForOutput(/^ready$/m, 60_000);
    const readerCpu = audience ? cpuSeconds(audience.pid) : 0;
    if (audience && where === "elsewhere") Deno.kill(-audience.pid, "SIGSTOP");
    const transferring = relayOnce(ctx, {
      server,
      upload: { kind: "length", file: ctx.dataFile },
      name,
      expectedBytes: ctx.options.size,
      timeoutMs: timeoutFor(ctx.options.size),
      // A handshake stall (section 1b) would add the same seconds with and without spectators
      // and hide their cost in the ratio.
      noExpect: true,
    });
    const sample = await transferring.finally(() => {
      if (audience && where === "elsewhere") Deno.kill(-audience.pid, "SIGCONT");
    });
    const series = ctx.results.get(key);
    if (audience) {
      series.readerCpu.push((cpuSeconds(audience.pid) - readerCpu) / sample.seconds);
      const line = await audience.waitForOutput(/^report (.*)$/m, 30_000);
      const report = JSON.parse(line[1]!) as AudienceReport;
      if (report.errors.length > 0) throw new Error(`spectator failed: ${report.errors[0]}`);
      series.progressPerSpectator.push(report.progress.reduce((a, b) => a + b, 0) / count);
      series.missingDone += report.missingDone;
      if (report.missingDone > 0) {
        log(`  !! ${report.missingDone} of ${count} spectators did not get one 'done'`);
      }
    } else {
      series.readerCpu.push(0);
    }
    return sample;
  } finally {
    await audience?.stop();
  }
}

async function connectAll(spectators: Spectator[]): Promise<void> {
  const settled = await withTimeout(
    Promise.allSettled(spectators.map((s) => s.ready)),
    60_000,
    `${spectators.length} spectators to connect`,
  );
  const failed = settled.filter((s) => s.status === "rejected");
  if (failed.length > 0) {
    const first = (failed[0] as PromiseRejectedResult).reason as Error;
    throw new Error(`${failed.length} of ${spectators.length} spectators failed: ${first.message}`);
  }
}

async function finishAll(spectators: Spectator[]): Promise<SpectatorReport[]> {
  try {
    return await withTimeout(
      Promise.all(spectators.map((s) => s.finished)),
      15_000,
      "the spectators' streams to close after the transfer",
    );
  } catch (error) {
    const open = spectators.filter((s) => (s.report.events["done"] ?? 0) === 0).length;
    log(`  !! ${(error as Error).message} (${open} never got 'done')`);
    for (const spectator of spectators) spectator.close();
    return await Promise.all(spectators.map((s) => s.finished));
  }
}

async function benchTar(ctx: Context, runtimes: Runtime[]): Promise<void> {
  const { options } = ctx;
  const dir = `${ctx.work}/tree`;
  await makeTree(dir, ctx.dataFile, options.tarSize);
  const bytes = await tarSize(dir);
  log(`\n== 4. tar -cf - (${fmtMB(bytes)}) | curl -T -, receiver curl --limit-rate 50M`);
  for (const runtime of runtimes) {
    const server = ctx.servers.get(runtime)!;
    const name = pipeName(runtime, "tar");
    const spectator = new Spectator(`${server.pipeUrl(name)}?progress`);
    const label = { key: `tar/${runtime}`, what: `ringside (${runtime}), tar, capped`, run: 1 };
    await record(ctx, label, async () => {
      await connectAll([spectator]);
      const sample = await relayOnce(ctx, {
        server,
        upload: { kind: "tar", dir },
        name,
        expectedBytes: bytes,
        limitRate: "50M",
        timeoutMs: timeoutFor(bytes),
      });
      const [report] = await finishAll([spectator]);
      ctx.results.cadence.set(runtime, intervals(report!.progressTimes));
      ctx.results.reportedMbps.set(runtime, report!.progressMbps);
      return sample;
    });
    spectator.close();
  }
}

function intervals(times: readonly number[]): number[] {
  return times.slice(1).map((t, i) => t - times[i]!);
}

/** How often the soak prints a line. */
const soakTickMs = 30_000;

async function benchLong(ctx: Context, runtimes: Runtime[]): Promise<void> {
  const { options } = ctx;
  const rate = curlRateBytes(options.longRate);
  const base = `${ctx.work}/base.bin`;
  await writeRandomFile(base, 64 * mb);
  const eta = options.longSize / rate;
  for (const runtime of runtimes) {
    const server = ctx.servers.get(runtime)!;
    log(
      `\n== soak: ringside (${runtime}), ${fmtMB(options.longSize)} to a receiver at ` +
        `--limit-rate ${options.longRate} (~${Math.ceil(eta / 60)} min)`,
    );
    const name = pipeName(runtime, "soak");
    const spectator = new Spectator(`${server.pipeUrl(name)}?progress`);
    await connectAll([spectator]);
    const probe = new ProcessProbe(server.proc.pid, 200);
    const started = performance.now();
    const ticker = setInterval(() => {
      const snapshot = parseSnapshot(spectator.report.lastData);
      const elapsed = ((performance.now() - started) / 1000).toFixed(0);
      log(
        `  ${elapsed} s: ${fmtMB(snapshot.bytes ?? 0)} relayed, ${snapshot.mbps ?? "?"} MB/s, ` +
          `RSS ${fmtMB(probe.current())} (peak ${fmtMB(probe.peak())})`,
      );
    }, soakTickMs);
    try {
      const result = await transfer({
        url: server.pipeUrl(name),
        upload: { kind: "generated", file: base, bytes: options.longSize },
        expectedBytes: options.longSize,
        limitRate: options.longRate,
        timeoutMs: timeoutFor(options.longSize, rate / 2),
        noExpect: options.noExpect,
      });
      const { peakRss: peak, cpuSeconds } = probe.stop();
      ctx.results.soak.set(runtime, { result, peak, rssEnd: rssNow(server) });
      ctx.results.get(`soak/${runtime}`).samples.push({ ...result, rss: peak, cpuSeconds, run: 1 });
      log(`  done: ${fmtRate(result.mbps)} MB/s, peak RSS ${fmtMB(peak)}`);
    } catch (error) {
      ctx.results.get(`soak/${runtime}`).errors.push((error as Error).message);
      log(`  FAILED ${(error as Error).message}`);
    } finally {
      clearInterval(ticker);
      probe.stop();
      spectator.close();
    }
  }
}

function parseSnapshot(data: string | undefined): { bytes?: number; mbps?: number } {
  try {
    return JSON.parse(data ?? "{}") as { bytes?: number; mbps?: number };
  } catch {
    return {};
  }
}

// ---------------------------------------------------------------------------------------------
// Report

function fmtRate(mbps: number): string {
  if (!Number.isFinite(mbps)) return "–";
  return mbps >= 100 ? mbps.toFixed(0) : mbps.toFixed(1);
}

function fmtMB(bytes: number): string {
  return `${(bytes / mb).toFixed(bytes >= 100 * mb ? 0 : 1)} MB`;
}

function targetLabel(target: Target): string {
  switch (target) {
    case "ceiling":
      return "raw TCP ceiling";
    case "piping":
      return `piping-server ${pipingVersion}`;
    case "bare":
      return "bare Bun relay";
    case "bare-pull":
      return "bare + count in pull";
    case "bare-transform":
      return "bare + ByteCounter";
    default:
      return `ringside (${target})`;
  }
}

/** Left-aligns the first `leftColumns` columns and right-aligns the rest. */
function table(header: string[], rows: string[][], leftColumns = 2): string {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((row) => (row[c] ?? "").length)));
  const line = (row: string[]) =>
    row.map((cell, c) => c < leftColumns ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))
      .join("  ").trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)]
    .map((l) => `  ${l}`).join("\n");
}

interface Stats {
  median: number;
  range: string;
  rss: string;
  cpu: string;
  runs: string;
}

function stats(series: Series): Stats {
  const rates = series.samples.map((s) => s.mbps);
  const rss = series.samples.flatMap((s) => (s.rss === undefined ? [] : [s.rss]));
  const cpu = series.samples.flatMap((s) =>
    s.cpuSeconds === undefined ? [] : [s.cpuSeconds / s.seconds]
  );
  return {
    median: median(rates),
    range: rates.length > 0 ? `${fmtRate(Math.min(...rates))}–${fmtRate(Math.max(...rates))}` : "–",
    rss: rss.length > 0 ? fmtMB(Math.max(...rss)) : "–",
    cpu: cpu.length > 0 ? `${(median(cpu) * 100).toFixed(0)} %` : "–",
    runs: `${rates.length}${series.errors.length > 0 ? ` (+${series.errors.length} failed)` : ""}`,
  };
}

function verdict(ok: boolean | undefined): string {
  return ok === undefined ? "–" : ok ? "ok" : "MISSED";
}

function pct(ratio: number): string {
  return Number.isFinite(ratio) ? `${(ratio * 100).toFixed(1)} %` : "–";
}

function times(ratio: number): string {
  return Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : "–";
}

function reportThroughput(ctx: Context): string[] {
  const { results, options } = ctx;
  const rows: string[][] = [];
  for (const mode of ["length", "chunked"] as const) {
    const piping = stats(results.get(`throughput/piping/${mode}`)).median;
    const ceiling = stats(results.get(`throughput/ceiling/${mode}`)).median;
    for (const target of options.targets) {
      const s = stats(results.get(`throughput/${target}/${mode}`));
      rows.push([
        modeLabel[mode],
        targetLabel(target),
        fmtRate(s.median),
        s.range,
        s.rss,
        s.cpu,
        target === "ceiling"
          ? "–"
          : cpuPerGB(results.get(`throughput/${target}/${mode}`)).toFixed(2),
        target === "piping" || target === "ceiling" ? "" : times(s.median / piping),
        target === "ceiling" ? "" : pct(s.median / ceiling),
        s.runs,
      ]);
    }
  }
  const header = [
    "upload",
    "relay",
    "MB/s",
    "min–max",
    "peak RSS",
    "server CPU",
    "CPU s/GB",
    "÷ piping",
    "of ceiling",
    "runs",
  ];
  return [
    "1. Relay throughput (median of runs; time from spawning both curls to the receiver's exit)",
    table(header, rows),
  ];
}

function reportLatency(ctx: Context): string[] {
  const rows: string[][] = [];
  for (const mode of ["length", "chunked"] as const) {
    for (const target of ctx.options.targets) {
      if (target === "ceiling") continue;
      const series = ctx.results.get(`latency/${target}/${mode}`);
      const ms = series.samples.map((s) => s.seconds * 1000);
      const slow = median(ms) > 500;
      rows.push([
        modeLabel[mode],
        targetLabel(target),
        fmtMs(median(ms)),
        ms.length > 0 ? `${Math.min(...ms).toFixed(0)}–${fmtMs(Math.max(...ms))}` : "–",
        Number.isNaN(median(ms))
          ? "FAILED"
          : slow
          ? "!!! STALLS (100-continue never answered?)"
          : "ok",
      ]);
    }
  }
  return [
    `1b. Start-up latency: time of a ${fmtMB(latencyBytes)} \`curl -T\` transfer, ` +
    "i.e. rendezvous + curl's Expect: 100-continue handshake (curl waits 1 s for an answer)",
    table(["upload", "relay", "median", "min–max", ""], rows),
  ];
}

function reportRatios(ctx: Context, runtimes: Runtime[]): string[] {
  if (!ctx.options.targets.includes("piping") || runtimes.length === 0) return [];
  const rows = runtimes.flatMap((runtime) =>
    (["length", "chunked"] as const).map((mode) => {
      const ours = ctx.results.get(`throughput/${runtime}/${mode}`);
      const theirs = ctx.results.get(`throughput/piping/${mode}`);
      const ratio = stats(ours).median / stats(theirs).median;
      const paired = median(pairedRatios(ours, theirs));
      const efficiency = cpuPerGB(theirs) / cpuPerGB(ours);
      return [
        `ringside (${runtime})`,
        modeLabel[mode],
        times(ratio),
        times(paired),
        verdict(Number.isNaN(ratio) ? undefined : ratio >= 1.5),
        times(efficiency),
      ];
    })
  );
  const header = ["relay", "upload", "MB/s ratio", "run by run", "target", "CPU/GB ratio"];
  return [
    "3. ringside ÷ piping-server, same run (target ≥ 1.5×). MB/s ratio = ratio of the medians; " +
    "run by run = median of per-run ratios;",
    "   CPU/GB ratio = piping-server's server CPU per GB ÷ ringside's (> 1: ringside spends less " +
    "CPU per byte; telling when the cores are saturated)",
    table(header, rows),
  ];
}

/** `a`'s throughput over `base`'s, run by run (runs interleave, so drift cancels). */
function pairedRatios(a: Series, base: Series): number[] {
  const baseByRun = new Map(base.samples.map((s) => [s.run, s.mbps]));
  return a.samples.flatMap((s) => {
    const b = baseByRun.get(s.run);
    return b === undefined ? [] : [s.mbps / b];
  });
}

/** Median server CPU seconds per 10^9 bytes relayed. */
function cpuPerGB(series: Series): number {
  return median(
    series.samples.flatMap((s) =>
      s.cpuSeconds === undefined ? [] : [s.cpuSeconds / (s.bytes / 1e9)]
    ),
  );
}

function reportSpectators(ctx: Context, runtimes: Runtime[]): string[] {
  const { results, options } = ctx;
  const targets: Record<number, number> = { 50: 0.03, 500: 0.10 };
  const rows: string[][] = [];
  for (const runtime of runtimes) {
    const base = results.get(spectatorKey(runtime, 0, null));
    const rowsOf = options.spectatorCounts.flatMap((count) =>
      (count === 0 ? [null] : audiences).map((audience) => ({ count, audience }))
    );
    for (const { count, audience } of rowsOf) {
      const series = results.get(spectatorKey(runtime, count, audience));
      const s = stats(series);
      const ratio = median(pairedRatios(series, base));
      const limit = targets[count];
      const events = series.progressPerSpectator;
      rows.push([
        `ringside (${runtime})`,
        String(count),
        audience ?? "",
        fmtRate(s.median),
        s.range,
        count === 0 ? "1" : ratio.toFixed(3),
        count === 0 ? "" : pct(1 - ratio),
        limit === undefined ? "" : `< ${(limit * 100).toFixed(0)} %`,
        limit === undefined || !Number.isFinite(ratio) ? "" : verdict(1 - ratio < limit),
        cpuPerGB(series).toFixed(2),
        count === 0 ? "" : (cpuPerGB(series) / cpuPerGB(base)).toFixed(2),
        events.length > 0 ? median(events).toFixed(1) : "",
        count === 0 ? "" : String(series.missingDone),
        s.rss,
        audience === "alongside" ? `${(median(series.readerCpu) * 100).toFixed(0)} %` : "",
        s.runs,
      ]);
    }
  }
  const header = [
    "relay",
    "spectators",
    "audience",
    "MB/s",
    "min–max",
    "÷ 0",
    "cost",
    "target",
    "",
    "server CPU s/GB",
    "÷ 0",
    "progress/spect.",
    "no done",
    "peak RSS",
    "readers CPU",
    "runs",
  ];
  return [
    "2. Spectators: SSE readers in scripts/_audience.ts, a separate process, connected before the " +
    "transfer starts; Content-Length upload with -H 'Expect:'",
    "   (no 100-continue handshake, so a start-up stall cannot dilute the ratio). " +
    "÷ 0 = median of run-by-run ratios to the 0-spectator run.",
    "   audience elsewhere = the readers are stopped during the transfer and read afterwards: " +
    "the server does all its work (every event",
    "   written to every socket) while the readers' CPU, a real audience's, stays off the " +
    "relay's cores. alongside = the readers read during",
    "   the transfer at nice 19 on the same two cores; readers CPU = theirs, taken from the relay.",
    table(header, rows),
  ];
}

function reportTar(ctx: Context, runtimes: Runtime[]): string[] {
  const rows = runtimes.map((runtime) => {
    const s = stats(ctx.results.get(`tar/${runtime}`));
    const flag = !Number.isFinite(s.median)
      ? "FAILED"
      : s.median < 35
      ? "!!! FAR BELOW 50 MB/s: slow-receiver regression (Deno ≥ 2.8.3?)"
      : "ok";
    return [`ringside (${runtime})`, fmtRate(s.median), s.rss, s.cpu, flag];
  });
  return [
    "4. tar -cf - DIR | curl -T -, receiver curl --limit-rate 50M (= 52.4 MB/s; expect ~50)",
    table(["relay", "MB/s", "peak RSS", "server CPU", ""], rows, 1),
  ];
}

function reportCadence(ctx: Context, runtimes: Runtime[]): string[] {
  const cadence = runtimes.map((runtime) => {
    const gaps = ctx.results.cadence.get(runtime) ?? [];
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    const [p5, p95] = [percentile(gaps, 5), percentile(gaps, 95)];
    const ok = gaps.length < 2 ? undefined : p5 >= 220 && p95 <= 280;
    // The capped receiver reads in bursts: the speed spectators are told should still be the
    // speed the transfer had (its first seconds, while the window fills, aside).
    const reported = (ctx.results.reportedMbps.get(runtime) ?? []).slice(12);
    const measured = ctx.results.get(`tar/${runtime}`).samples[0]?.mbps ?? NaN;
    const told = reported.length > 0 ? median(reported) : NaN;
    return [
      `ringside (${runtime})`,
      String(gaps.length),
      fmtMs(mean),
      fmtMs(p5),
      fmtMs(p95),
      fmtMs(Math.min(...gaps)),
      fmtMs(Math.max(...gaps)),
      verdict(ok),
      fmtRate(told),
      fmtRate(measured),
      Number.isFinite(told / measured) ? `${((told / measured - 1) * 100).toFixed(1)} %` : "–",
    ];
  });
  return [
    "6. Progress cadence seen by one spectator of the capped tar transfer " +
    "(target 250 ± 30 ms at p5 and p95), and the speed it was told (median mbps of its " +
    "progress events after the first 3 s) against the transfer's measured speed",
    table(
      ["relay", "intervals", "mean", "p5", "p95", "min", "max", "", "told", "measured", "off by"],
      cadence,
      1,
    ),
  ];
}

function fmtMs(ms: number): string {
  return Number.isFinite(ms) ? `${ms.toFixed(0)} ms` : "–";
}

function reportMemory(ctx: Context): string[] {
  const rows: string[][] = [];
  for (const [target, server] of ctx.servers) {
    const around = ctx.results.rssAround.get(server.label);
    const peaks = [...["length", "chunked"].map((m) => `throughput/${target}/${m}`)]
      .concat(ctx.options.spectatorCounts.map((n) => `spectators/${target}/${n}`), [
        `tar/${target}`,
      ])
      .flatMap((key) =>
        ctx.results.get(key).samples.flatMap((s) => (s.rss === undefined ? [] : [s.rss]))
      );
    rows.push([
      server.label,
      around ? fmtMB(around.start) : "–",
      peaks.length > 0 ? fmtMB(Math.max(...peaks)) : "–",
      around && around.end > 0 ? fmtMB(around.end) : "–",
    ]);
  }
  return [
    "5. Server memory (VmRSS; peak = max of sampled VmRSS and VmHWM reset per transfer)",
    table(["server", "after warm-up", "peak in any transfer", "after all transfers"], rows, 1),
  ];
}

function reportSoak(ctx: Context, runtimes: Runtime[]): string[] {
  const rows = runtimes.map((runtime) => {
    const soak = ctx.results.soak.get(runtime);
    const before = ctx.results.rssAround.get(`ringside (${runtime})`)?.start;
    const idle = before === undefined ? "–" : fmtMB(before);
    if (!soak) return [`ringside (${runtime})`, "FAILED", idle, "", "", ""];
    return [
      `ringside (${runtime})`,
      fmtRate(soak.result.mbps),
      idle,
      fmtMB(soak.peak),
      fmtMB(soak.rssEnd),
      verdict(soak.peak < 100 * mb),
    ];
  });
  return [
    `Memory soak: ${fmtMB(ctx.options.longSize)} to a receiver at --limit-rate ` +
    `${ctx.options.longRate} (target: RSS < 100 MB throughout)`,
    table(["relay", "MB/s", "RSS before", "peak RSS", "RSS after", ""], rows, 1),
  ];
}

async function machineLines(ctx: Context): Promise<string[]> {
  const cpuinfo = await Deno.readTextFile("/proc/cpuinfo").catch(() => "");
  const cpu = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? "unknown CPU";
  const [nproc, deno, bun, node, curl, socat, rev, dirty] = await Promise.all([
    capture(["nproc"]),
    capture([`${root}node_modules/.bin/deno`, "--version"]),
    capture([`${root}node_modules/.bin/bun`, "--version"]),
    capture(["node", "--version"]),
    capture(["curl", "--version"]),
    capture(["socat", "-V"]),
    capture(["git", "-C", root, "log", "-1", "--format=%h %cs", "--", "main.ts", "src"]),
    capture(["git", "-C", root, "status", "--porcelain", "--", "main.ts", "src"]),
  ]);
  const socatVersion = /socat version (\S+)/.exec(socat ?? "")?.[1] ?? "missing";
  const memory = Deno.systemMemoryInfo().total / 2 ** 30;
  return [
    `machine: ${cpu}, nproc ${nproc}, ${memory.toFixed(1)} GiB RAM, Linux ${Deno.osRelease()}`,
    `versions: ringside ${rev ?? "?"}${dirty ? " (+uncommitted changes)" : ""}, ` +
    `bun ${bun ?? "?"}, ${deno?.split(" ").slice(0, 2).join(" ") ?? "deno ?"}, ` +
    `piping-server ${pipingVersion} on node ${node ?? "?"}, ` +
    `${curl?.split(" ").slice(0, 2).join(" ") ?? "curl ?"}, socat ${socatVersion}`,
    ctx.options.long
      ? `bench: --long soak, FILE (64 MB random) repeated | curl -T - (chunked), receiver ` +
        `curl --limit-rate ${ctx.options.longRate} -o /dev/null; MB = 10^6 bytes`
      : `bench: ${ctx.options.runs} run(s), ${fmtMB(ctx.options.size)} of random bytes per ` +
        `transfer from a file in ${ctx.work.split("/").slice(0, -1).join("/")} (page cache); ` +
        `receiver curl -o /dev/null; MB = 10^6 bytes`,
    ...(ctx.options.noExpect ? ["--no-expect: senders send no Expect: 100-continue"] : []),
  ];
}

const ceilingNote = "raw TCP ceiling = socat relaying between two accepted loopback sockets " +
  "(no HTTP), fed by socat from the file (or from `cat FILE |` for the chunked row),\n" +
  "  read by `curl --http0.9 -o /dev/null`: the same data path through one user-space copy, " +
  "without HTTP parsing or framing.";

const bareNote = "bare Bun relay = scripts/_bare_relay.ts: the receiver's body is one pull " +
  "stream over the sender's body on Bun, with no counting, fan-out or limits;\n" +
  "  the fastest a relay can be on Bun while JavaScript sees each chunk, as ringside must to " +
  "count bytes for progress.\n" +
  "  + count in pull: the same, counting each chunk where it is read (as ringside's FanOut " +
  "does); + ByteCounter: counting in a separate TransformStream stage.";

async function printReport(ctx: Context): Promise<void> {
  const runtimes = ctx.options.targets.filter((t): t is Runtime => t === "bun" || t === "deno");
  const has = (section: Section) => ctx.options.sections.includes(section);
  const blocks: string[][] = [await machineLines(ctx)];
  if (ctx.options.long) {
    blocks.push(reportSoak(ctx, runtimes));
  } else {
    if (has("throughput")) {
      const ceiling = ctx.options.targets.includes("ceiling") ? [ceilingNote] : [];
      const bare = ctx.options.targets.some((t) => t in bareCounts) ? [bareNote] : [];
      blocks.push([...reportThroughput(ctx), ...ceiling, ...bare], reportLatency(ctx));
    }
    if (has("spectators") && runtimes.length > 0) blocks.push(reportSpectators(ctx, runtimes));
    if (has("throughput")) blocks.push(reportRatios(ctx, runtimes));
    if (has("tar") && runtimes.length > 0) blocks.push(reportTar(ctx, runtimes));
    if (runtimes.length > 0) blocks.push(reportMemory(ctx));
    if (has("tar") && runtimes.length > 0) blocks.push(reportCadence(ctx, runtimes));
  }
  const errors = ctx.results.errors();
  if (errors.length > 0) blocks.push(["FAILURES", ...errors.map((e) => `  ${e}`)]);
  console.log(`\nringside relay benchmark, ${new Date().toISOString()}\n`);
  console.log(blocks.filter((b) => b.length > 0).map((b) => b.join("\n")).join("\n\n"));
}

// ---------------------------------------------------------------------------------------------
// Main

async function bench(ctx: Context): Promise<void> {
  const { options } = ctx;
  if (options.long || !options.sections.includes("throughput")) {
    // Only the throughput section compares against piping-server and the ceiling.
    options.targets = options.targets.filter((t) => t === "bun" || t === "deno");
  }
  if (options.targets.includes("ceiling") && (await capture(["socat", "-V"])) === undefined) {
    log("socat is missing (apt-get install -y socat): skipping the raw ceiling");
    options.targets = options.targets.filter((t) => t !== "ceiling");
  }
  if (options.targets.includes("piping")) {
    log(`installing piping-server ${pipingVersion} into ${benchCache} if needed`);
    await ensurePipingServer();
  }
  if (!options.long) {
    log(`writing ${fmtMB(options.size)} of random bytes to ${ctx.dataFile}`);
    await writeRandomFile(ctx.dataFile, options.size);
  }
  await startServers(ctx);
  const runtimes = options.targets.filter((t): t is Runtime => t === "bun" || t === "deno");
  if (options.long) {
    await benchLong(ctx, runtimes);
  } else {
    if (options.sections.includes("throughput")) {
      await benchThroughput(ctx);
      await benchLatency(ctx);
    }
    if (options.sections.includes("spectators") && runtimes.length > 0) {
      await benchSpectators(ctx, runtimes);
    }
    if (options.sections.includes("tar") && runtimes.length > 0) await benchTar(ctx, runtimes);
  }
  for (const server of ctx.servers.values()) {
    const around = ctx.results.rssAround.get(server.label);
    if (around) around.end = rssNow(server);
  }
}

async function main(): Promise<number> {
  const options = parseOptions(Deno.args);
  const work = await Deno.makeTempDir({ prefix: "ringside-bench-" });
  const ctx: Context = {
    options,
    work,
    dataFile: `${work}/data.bin`,
    servers: new Map(),
    results: new Results(),
    stopping: false,
  };
  let cleaned: Promise<void> | undefined;
  const cleanup = () =>
    cleaned ??= (async () => {
      ctx.stopping = true;
      stopAll();
      await Promise.all([...ctx.servers.values()].map((s) => s.proc.status));
      await Deno.remove(work, { recursive: true }).catch(() => {});
    })();
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => {
      log(`\n${signal}: stopping every process the bench started`);
      cleanup().finally(() => Deno.exit(130));
    });
  }
  try {
    await bench(ctx);
    await printReport(ctx);
    return ctx.results.failed ? 1 : 0;
  } finally {
    await cleanup();
  }
}

if (import.meta.main) {
  main().then(
    (code) => Deno.exit(code),
    (error: unknown) => {
      stopAll();
      console.error(error instanceof Error ? error.message : error);
      Deno.exit(1);
    },
  );
}
