// The jobs bench: one publisher posting progress as fast as it can (one request after another
// on one keep-alive connection) while 0, 50 and 500 SSE spectators watch the job from another
// process. It reports the publishes per second the server accepted, their ratio to the
// unwatched rate measured in the same run, and the spectators' delivery lag: from the moment
// the publisher sent a snapshot to the moment a spectator parsed it (both processes read the
// same wall clock). Goals: with 500 spectators the publisher keeps >= 0.8 of its unwatched rate,
// and the p99 lag stays under the progress cadence + 50 ms.
//
//   deno run -A scripts/bench/jobs.ts [--runtimes bun,deno] [--seconds 5] [--runs 3]
//                                     [--audiences 0,50,500] [--nice 0]
//   deno run -A scripts/bench/jobs.ts --audience URL COUNT     (the audience process itself)
//
// Self-contained: it starts its own servers (the bench harness's `startRingside`) and its own
// audience processes, and stops all of them on exit.

import {
  flagValue,
  median,
  percentile,
  Proc,
  root,
  runFlags,
  runStandalone,
  startRingside,
} from "./_harness.ts";

/** Options for {@linkcode jobsSection}. */
export interface JobsOptions {
  /** Runtimes to serve on. @default ["bun", "deno"] */
  runtimes?: ("bun" | "deno")[];
  /** How long each measurement publishes, in seconds. @default 5 */
  seconds?: number;
  /** Measurements per audience size (interleaved); medians are reported. @default 3 */
  runs?: number;
  /** Spectator counts; 0 is the baseline. @default [0, 50, 500] */
  audiences?: number[];
  /** `nice` of the audience process (19: it yields every core to the server). @default 0 */
  nice?: number;
  /** Where progress lines go. @default console.error */
  print?: (line: string) => void;
}

/** One row of the jobs table: a runtime and an audience size, medians over the runs. */
export interface JobsRow {
  runtime: string;
  spectators: number;
  /** Publishes per second the server accepted (median of the runs). */
  publishesPerSec: number;
  /** `publishesPerSec` against the same runtime's unwatched rate. */
  ratio: number;
  /** Delivery lag percentiles over every progress event every spectator got, in ms. */
  lagP50: number | null;
  lagP99: number | null;
  /** Progress events a spectator got per second (the cadence they saw). */
  eventsPerSec: number | null;
  /** Spectators that did not end with `complete`, or failed, over all runs. */
  problems: number;
}

/** What the audience process prints on its `report` line. */
interface AudienceReport {
  lags: number[];
  events: number;
  missingComplete: number;
  errors: string[];
}

function wallClock(): number {
  return performance.timeOrigin + performance.now();
}

/** One measurement: a fresh job, `count` spectators, `seconds` of publishing, then finish. */
async function measure(
  origin: string,
  id: string,
  count: number,
  seconds: number,
  nice: number,
): Promise<{ publishesPerSec: number; report: AudienceReport | null }> {
  const url = `${origin}/api/v1/jobs/${id}`;
  const started = await fetch(url, { method: "POST", body: JSON.stringify({ progress: 0 }) });
  if (started.status !== 201) throw new Error(`Start: ${started.status} ${await started.text()}`);
  await started.body?.cancel();
  // At most 125 readers per process: a real audience does not share one machine's event loop.
  const audiences: Proc[] = [];
  for (let left = count; left > 0; left -= 125) {
    // The `report` line carries every lag the process measured: keep all of it.
    audiences.push(Proc.spawn("jobs audience", [
      "nice",
      "-n",
      String(nice),
      `${root}node_modules/deno/deno`,
      "run",
      "-A",
      new URL(import.meta.url).pathname,
      "--audience",
      url,
      String(Math.min(125, left)),
    ], { keep: 1_000_000 }));
  }
  await Promise.all(audiences.map((a) => a.waitForOutput(/^ready$/m, 60_000)));
  const pad = "x".repeat(100); // a realistic snapshot: a few fields and a message line
  const begin = performance.now();
  const end = begin + seconds * 1000;
  let accepted = 0;
  for (let seq = 1; performance.now() < end; seq++) {
    const res = await fetch(`${url}/progress`, {
      method: "POST",
      body: JSON.stringify({ seq, t: wallClock(), progress: seq % 100, message: pad }),
    });
    if (res.status === 204) accepted++;
    await res.body?.cancel();
  }
  const publishesPerSec = accepted / ((performance.now() - begin) / 1000);
  const finished = await fetch(`${url}/finish`, { method: "POST", body: '{"ok":true}' });
  await finished.body?.cancel();
  if (audiences.length === 0) return { publishesPerSec, report: null };
  const report: AudienceReport = { lags: [], events: 0, missingComplete: 0, errors: [] };
  for (const audience of audiences) {
    const [, json] = await audience.waitForOutput(/^report (.*)\n/m, 60_000);
    await audience.stop();
    const part = JSON.parse(json!) as AudienceReport;
    report.lags.push(...part.lags);
    report.events += part.events;
    report.missingComplete += part.missingComplete;
    report.errors.push(...part.errors);
  }
  return { publishesPerSec, report };
}

/**
 * Runs the jobs section: for each runtime, one server; for each run, every audience size in
 * turn (interleaved, so drift hits every size alike). Returns one row per runtime and size.
 */
export async function jobsSection(options: JobsOptions = {}): Promise<JobsRow[]> {
  const runtimes = options.runtimes ?? ["bun", "deno"];
  const seconds = options.seconds ?? 5;
  const runs = options.runs ?? 3;
  const audiences = options.audiences ?? [0, 50, 500];
  const nice = options.nice ?? 0;
  const print = options.print ?? ((line: string) => console.error(line));
  const rows: JobsRow[] = [];
  for (const runtime of runtimes) {
    const server = await startRingside(runtime, [
      "--exit-on-stdin-close",
      "--max-spectators",
      "1000",
    ]);
    try {
      const rates = new Map<number, number[]>();
      const lags = new Map<number, number[]>();
      const events = new Map<number, number[]>();
      const problems = new Map<number, number>();
      for (let run = 1; run <= runs; run++) {
        for (const count of audiences) {
          const id = `bench/${run}-${count}`;
          const { publishesPerSec, report } = await measure(
            server.origin,
            id,
            count,
            seconds,
            nice,
          );
          rates.set(count, [...rates.get(count) ?? [], publishesPerSec]);
          if (report) {
            lags.set(count, [...lags.get(count) ?? [], ...report.lags]);
            events.set(count, [...events.get(count) ?? [], report.events / count / seconds]);
            problems.set(
              count,
              (problems.get(count) ?? 0) + report.missingComplete + report.errors.length,
            );
          }
          print(
            `jobs ${runtime} run ${run}: ${count} spectators, ${
              publishesPerSec.toFixed(0)
            } publishes/s${
              report
                ? `, lag p50 ${percentile(report.lags, 50).toFixed(1)} ms p99 ${
                  percentile(report.lags, 99).toFixed(1)
                } ms`
                : ""
            }`,
          );
        }
      }
      const baseline = median(rates.get(audiences[0]!) ?? [NaN]);
      for (const count of audiences) {
        const rate = median(rates.get(count)!);
        const lag = lags.get(count);
        rows.push({
          runtime,
          spectators: count,
          publishesPerSec: Math.round(rate),
          ratio: Math.round((rate / baseline) * 100) / 100,
          lagP50: lag?.length ? Math.round(percentile(lag, 50) * 10) / 10 : null,
          lagP99: lag?.length ? Math.round(percentile(lag, 99) * 10) / 10 : null,
          eventsPerSec: events.has(count) ? Math.round(median(events.get(count)!) * 10) / 10 : null,
          problems: problems.get(count) ?? 0,
        });
      }
    } finally {
      await server.proc.stop();
    }
  }
  return rows;
}

/** The rows as a Markdown table. */
export function jobsTable(rows: JobsRow[]): string {
  const lines = [
    "| runtime | spectators | publishes/s | vs unwatched | lag p50 ms | lag p99 ms | events/spectator/s |",
    "| ------- | ---------- | ----------- | ------------ | ---------- | ---------- | ------------------ |",
  ];
  for (const row of rows) {
    lines.push(
      `| ${row.runtime} | ${row.spectators} | ${row.publishesPerSec} | ${row.ratio.toFixed(2)} | ${
        row.lagP50 ?? "–"
      } | ${row.lagP99 ?? "–"} | ${row.eventsPerSec ?? "–"} |${
        row.problems ? ` ${row.problems} spectators missed the end` : ""
      }`,
    );
  }
  return lines.join("\n");
}

/**
 * The audience: COUNT SSE readers of URL; `ready`, then `report {…}` once every stream ended.
 * Each reader is a raw TCP connection with a minimal parser (no fetch, no JSON.parse), so that
 * the readers' own CPU, which a real audience spends on its own machines, stays small.
 */
async function audience(url: string, count: number): Promise<void> {
  const lags: number[] = [];
  let events = 0;
  let missingComplete = 0;
  const errors: string[] = [];
  let connected = 0;
  const { hostname, port, pathname } = new URL(url);
  const request = new TextEncoder().encode(
    `GET ${pathname} HTTP/1.1\r\nHost: ${hostname}:${port}\r\n` +
      `Accept: text/event-stream\r\nConnection: close\r\n\r\n`,
  );
  async function reader(): Promise<void> {
    const conn = await Deno.connect({ hostname, port: Number(port) });
    await conn.write(request);
    const decoder = new TextDecoder();
    const buffer = new Uint8Array(16 * 1024);
    let text = "";
    let first = true;
    let complete = false;
    try {
      while (true) {
        const n = await conn.read(buffer);
        if (n === null) break;
        const now = wallClock();
        text += decoder.decode(buffer.subarray(0, n), { stream: true });
        if (first && text.startsWith("HTTP/") && !text.startsWith("HTTP/1.1 200")) {
          throw new Error(text.slice(0, text.indexOf("\r")));
        }
        let end: number;
        // Frames end in a blank line; chunk-size lines and headers sit between them harmlessly.
        while ((end = text.indexOf("\n\n")) >= 0) {
          const block = text.slice(0, end);
          text = text.slice(end + 2);
          const at = block.indexOf("event: ");
          if (at < 0) continue;
          if (first) {
            first = false;
            if (++connected === count) console.log("ready");
            continue; // the greeting: the cached snapshot, published before we came
          }
          const type = block.slice(at + 7, block.indexOf("\n", at));
          if (type === "progress") {
            events++;
            const t = block.indexOf('"t":');
            if (t >= 0) lags.push(now - parseFloat(block.slice(t + 4, t + 30)));
          } else if (type === "complete") {
            complete = true;
          }
        }
      }
    } finally {
      conn.close();
    }
    if (!complete) missingComplete++;
  }
  const results = await Promise.allSettled(Array.from({ length: count }, () => reader()));
  for (const result of results) {
    if (result.status === "rejected") errors.push(String(result.reason));
  }
  if (connected < count) console.log("ready"); // let the bench go on and report the failures
  const report: AudienceReport = { lags, events, missingComplete, errors };
  console.log(`report ${JSON.stringify(report)}`);
}

if (import.meta.main) {
  const args = Deno.args;
  if (args[0] === "--audience") {
    await audience(args[1]!, Number(args[2]));
    Deno.exit(0);
  }
  await runStandalone(async () => {
    const rows = await jobsSection({
      ...runFlags(args),
      audiences: (flagValue(args, "audiences") ?? "0,50,500").split(",").map(Number),
      nice: Number(flagValue(args, "nice") ?? 0),
    });
    console.log(jobsTable(rows));
    const cadence = 250;
    for (const row of rows.filter((r) => r.spectators === 500)) {
      console.log(
        `${row.runtime}: 500 spectators keep ${row.ratio.toFixed(2)} of the unwatched rate ` +
          `(goal >= 0.8: ${row.ratio >= 0.8 ? "met" : "NOT met"}); p99 lag ${row.lagP99} ms ` +
          `(goal < ${cadence + 50} ms: ${
            (row.lagP99 ?? Infinity) < cadence + 50 ? "met" : "NOT met"
          })`,
      );
    }
  });
}
