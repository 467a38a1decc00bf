/**
 * What the bench's sections share: the parsed options, the servers and results of one run, one
 * recorded transfer ({@linkcode record}, {@linkcode relayOnce}) and the report's formatting.
 * The plumbing under it (processes, servers, curl transfers, probes) is `_harness.ts`.
 *
 * @module
 */

import {
  type BareCount,
  delay,
  median,
  pipingVersion,
  ProcessProbe,
  residentBytes,
  type Runtime,
  type Server,
  type Spectator,
  type SpectatorReport,
  transfer,
  type TransferResult,
  type Upload,
  withTimeout,
} from "./_harness.ts";

let ringsideRefLabel = "";

/** Names the `bun-ref` relay in reports (set once its revision is resolved). */
export function setRefLabel(label: string): void {
  ringsideRefLabel = label;
}

function refLabel(): string {
  return ringsideRefLabel || "--ringside-ref";
}

export const targetNames = [
  "ceiling",
  "piping",
  "bare",
  "bare-pull",
  "bare-transform",
  "bare-native",
  "bun",
  "bun-ref",
  "deno",
] as const;

/** A relay the bench can start: `--only` picks among them. */
export type Target = (typeof targetNames)[number];

export type Mode = "length" | "chunked";

export type BareTarget = "bare" | "bare-pull" | "bare-transform" | "bare-native";

export const bareCounts: Record<BareTarget, BareCount> = {
  bare: "none",
  "bare-pull": "pull",
  "bare-transform": "transform",
  "bare-native": "native",
};

/** The command line, parsed (`scripts/bench.ts --help` says what each one means). */
export interface Options {
  size: number;
  runs: number;
  tarSize: number;
  targets: Target[];
  /** Names of the sections to run. */
  sections: string[];
  spectatorCounts: number[];
  long: boolean;
  longSize: number;
  longRate: string;
  noExpect: boolean;
  quick: boolean;
  /** `--ringside-ref`: a git revision run as the `bun-ref` relay, or null. */
  ringsideRef: string | null;
  /** Concurrency section: bytes per transfer and the numbers of simultaneous transfers. */
  concurrencySize: number;
  concurrencySteps: number[];
  /** Idle section: waiting receivers, then spectators over `idlePipes` pipes. */
  idleReceivers: number;
  idleSpectators: number;
  idlePipes: number;
  /** Anchor sections: seconds measured per window (`--anchor-seconds`). */
  anchorSeconds: number;
  /** nchan section: ringside's `--progress-interval` (`--anchor-interval`). */
  anchorInterval: string;
  /** websocketd section: lines to the WebSocket client (`--ws-lines`). */
  wsLines: number;
  /** websocketd section: lines/s of the paced producer (`--ws-rate`). */
  wsRate: number;
  /** Page section: paints measured per page. */
  pageRuns: number;
}

/**
 * One section of the bench (`scripts/bench/*.ts`): it measures in {@linkcode BenchSection.run}
 * and says what it found in {@linkcode BenchSection.report}. Every section module exports a
 * factory `xxxSection(options)`; `scripts/bench.ts` lists them.
 */
export interface BenchSection {
  /** Its name in `--only`. */
  readonly name: string;
  /** Runs only when asked for: with `--long`, or named in `--only`. */
  readonly long: boolean;
  /** The relays it measures (started once and shared by the sections). */
  readonly targets: readonly Target[];
  run(ctx: Context): Promise<void>;
  /** Blocks of lines, printed after every section has run. */
  report(ctx: Context): string[][];
}

/** The ringside runtimes among the relays started. */
export function runtimesOf(ctx: Context): Runtime[] {
  return ctx.options.targets.filter((t): t is Runtime => t === "bun" || t === "deno");
}

/**
 * A section that measures ringside on the runtimes the bench started (`bun`, `deno`): it runs
 * and reports only when one of them was started.
 */
export function runtimeSection(section: {
  name: string;
  long: boolean;
  run: (ctx: Context, runtimes: Runtime[]) => Promise<void>;
  report: (ctx: Context, runtimes: Runtime[]) => string[][];
}): BenchSection {
  return {
    name: section.name,
    long: section.long,
    targets: ["bun", "deno"],
    async run(ctx) {
      const runtimes = runtimesOf(ctx);
      if (runtimes.length > 0) await section.run(ctx, runtimes);
    },
    report(ctx) {
      const runtimes = runtimesOf(ctx);
      return runtimes.length > 0 ? section.report(ctx, runtimes) : [];
    },
  };
}

export interface Sample {
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
export interface Label {
  /** `section/relay/variant` */
  key: string;
  /** For the progress lines. */
  what: string;
  run: number;
}

export interface Series {
  samples: Sample[];
  errors: string[];
  /** Spectator runs: mean `progress` events per spectator, one value per run. */
  progressPerSpectator: number[];
  /** Spectator runs: spectators that did not end with `done`, summed over runs. */
  missingDone: number;
  /** Spectator runs: CPU of this process (the SSE readers) over wall time, one value per run. */
  readerCpu: number[];
}

export class Results {
  readonly #series = new Map<string, Series>();
  /** Progress intervals (ms) seen by the cadence spectator, by runtime. */
  readonly cadence = new Map<Runtime, number[]>();
  /** The `mbps` of every `progress` event the cadence spectator saw, by runtime. */
  readonly reportedMbps = new Map<Runtime, number[]>();
  /** Server RSS right after the warm-up and after the last transfer, by server label. */
  readonly rssAround = new Map<string, { start: number; end: number }>();
  /** A bare `Bun.serve` hello world's RSS after 100 requests, measured in the same run. */
  helloRss = 0;
  /** RSS after the warm-up split into anonymous and file-backed, by server label. */
  readonly rssAnonAfterWarmUp = new Map<string, { anon: number; file: number }>();
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

export interface Context {
  options: Options;
  work: string;
  /** `--size` random bytes. */
  dataFile: string;
  servers: Map<Target, Server>;
  results: Results;
  /** Set when the bench stops its servers itself. */
  stopping: boolean;
}

export const mb = 1e6;

export function log(line: string): void {
  console.error(line);
}

export async function writeRandomFile(path: string, bytes: number): Promise<void> {
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

export function rssNow(server: Server): number {
  return residentBytes(server.proc.pid);
}

export function timeoutFor(bytes: number, bytesPerSec = 5 * mb): number {
  return 60_000 + (bytes / bytesPerSec) * 1000;
}

export async function record(
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
    recordFailure(ctx, key, what, error);
    return undefined;
  } finally {
    await delay(200);
  }
}

/**
 * Files a failed measurement: the first line of its message among the errors of `key` (the
 * bench then exits 1), the whole message in the progress log after `what`.
 */
export function recordFailure(ctx: Context, key: string, what: string, error: unknown): void {
  const message = (error as Error).message;
  ctx.results.get(key).errors.push(message.split("\n")[0]!);
  log(`  ${what}: FAILED ${message}`);
}

export interface RelayOnceOptions {
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
export async function relayOnce(
  ctx: Context,
  options: RelayOnceOptions,
): Promise<Omit<Sample, "run">> {
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

export function pipeName(...parts: (string | number)[]): string {
  return `bench-${parts.join("-")}-${crypto.randomUUID().slice(0, 8)}`;
}

export const modeLabel: Record<Mode, string> = {
  length: "Content-Length",
  chunked: "chunked",
};

export async function connectAll(spectators: Spectator[]): Promise<void> {
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

export async function finishAll(spectators: Spectator[]): Promise<SpectatorReport[]> {
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

export function fmtRate(mbps: number): string {
  if (!Number.isFinite(mbps)) return "–";
  return mbps >= 100 ? mbps.toFixed(0) : mbps.toFixed(1);
}

export function fmtMB(bytes: number): string {
  return `${(bytes / mb).toFixed(bytes >= 100 * mb ? 0 : 1)} MB`;
}

export function targetLabel(target: Target): string {
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
      return "bare + TransformStream count";
    case "bare-native":
      return "Bun native pass-through";
    case "bun-ref":
      return `ringside (bun) at ${refLabel()}`;
    default:
      return `ringside (${target})`;
  }
}

/** Left-aligns the first `leftColumns` columns and right-aligns the rest. */
export function table(header: string[], rows: string[][], leftColumns = 2): string {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((row) => (row[c] ?? "").length)));
  const line = (row: string[]) =>
    row.map((cell, c) => c < leftColumns ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))
      .join("  ").trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)]
    .map((l) => `  ${l}`).join("\n");
}

export interface Stats {
  median: number;
  range: string;
  rss: string;
  cpu: string;
  runs: string;
}

export function stats(series: Series): Stats {
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

export function verdict(ok: boolean | undefined): string {
  return ok === undefined ? "–" : ok ? "ok" : "MISSED";
}

export function pct(ratio: number): string {
  return Number.isFinite(ratio) ? `${(ratio * 100).toFixed(1)} %` : "–";
}

export function times(ratio: number): string {
  return Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : "–";
}

/** `a`'s throughput over `base`'s, run by run (runs interleave, so drift cancels). */
export function pairedRatios(a: Series, base: Series): number[] {
  const baseByRun = new Map(base.samples.map((s) => [s.run, s.mbps]));
  return a.samples.flatMap((s) => {
    const b = baseByRun.get(s.run);
    return b === undefined ? [] : [s.mbps / b];
  });
}

/** Median server CPU seconds per 10^9 bytes relayed. */
export function cpuPerGB(series: Series): number {
  return median(
    series.samples.flatMap((s) =>
      s.cpuSeconds === undefined ? [] : [s.cpuSeconds / (s.bytes / 1e9)]
    ),
  );
}

export function fmtMs(ms: number): string {
  return Number.isFinite(ms) ? `${ms.toFixed(0)} ms` : "–";
}
