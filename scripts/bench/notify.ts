// The notify bench: what `--notify` costs the ends themselves. Clients end processes as fast as
// they can (each a single `POST /api/v1/processes/ID/status` that creates and ends it, 16 at a
// time on keep-alive connections) against a fresh server without `--notify`, then with one
// webhook target (a receiver in its own process answering 204), interleaved. It reports ends
// per second, the ratio with/without, and what became of the notices (sent, dropped by the
// default queue of 1,000, still queued).
//
//   deno run -A scripts/bench/notify.ts [--runtimes bun,deno] [--seconds 5] [--runs 3]
//   deno run -A scripts/bench/notify.ts --receiver     (the receiver process itself)
//
// Self-contained: servers start through the bench harness's `startRingside`, and everything it
// starts is stopped on exit.

import { median, Proc, root, runFlags, runStandalone, startRingside } from "./_harness.ts";

/** Options for {@linkcode notifySection}. */
export interface NotifyOptions {
  /** @default ["bun", "deno"] */
  runtimes?: ("bun" | "deno")[];
  /** How long each measurement ends processes, in seconds. @default 5 */
  seconds?: number;
  /** Measurements per mode (interleaved); medians are reported. @default 3 */
  runs?: number;
  /** Clients ending processes at once. @default 16 */
  clients?: number;
  /** Where progress lines go. @default console.error */
  print?: (line: string) => void;
}

/** One row: a runtime, medians over the runs. */
export interface NotifyRow {
  runtime: string;
  /** Ends per second without `--notify`. */
  plain: number;
  /** Ends per second with one `--notify` target. */
  notified: number;
  ratio: number;
  /** Notices over all runs with `--notify`: accepted by the receiver, dropped, still queued. */
  sent: number;
  dropped: number;
  queued: number;
  ends: number;
}

async function metric(origin: string, name: string): Promise<number> {
  const text = await (await fetch(`${origin}/metrics`)).text();
  return Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1] ?? NaN);
}

/** One measurement on a fresh server: ends per second, and the notices' fate. */
async function measure(
  runtime: "bun" | "deno",
  target: string | null,
  seconds: number,
  clients: number,
): Promise<{ perSec: number; ends: number; sent: number; dropped: number; queued: number }> {
  const server = await startRingside(runtime, [
    "--exit-on-stdin-close",
    "--max-topics",
    "10000000",
    "--retention",
    "1s",
    ...(target ? ["--notify", target] : []),
  ]);
  const { origin } = server;
  try {
    let ends = 0;
    const until = performance.now() + seconds * 1000;
    const body = JSON.stringify({ status: "exited", exitCode: 0 });
    const prefix = crypto.randomUUID().slice(0, 8);
    await Promise.all(Array.from({ length: clients }, async (_, client) => {
      for (let i = 0; performance.now() < until; i++) {
        const response = await fetch(`${origin}/api/v1/processes/${prefix}-${client}-${i}/status`, {
          method: "POST",
          body,
        });
        await response.body?.cancel();
        if (response.status !== 200) throw new Error(`Status: ${response.status}`);
        ends++;
      }
    }));
    const perSec = ends / seconds;
    if (!target) return { perSec, ends, sent: 0, dropped: 0, queued: 0 };
    // Let the queue empty (bounded) before reading what became of the notices.
    for (let i = 0; i < 100 && await metric(origin, "ringside_notify_queue") > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return {
      perSec,
      ends,
      sent: await metric(origin, "ringside_notify_sent_total"),
      dropped: await metric(origin, "ringside_notify_dropped_total"),
      queued: await metric(origin, "ringside_notify_queue"),
    };
  } finally {
    await server.proc.stop();
  }
}

/** Runs the bench on each runtime; one row per runtime. */
export async function notifySection(options: NotifyOptions = {}): Promise<NotifyRow[]> {
  const print = options.print ?? ((line: string) => console.error(line));
  const seconds = options.seconds ?? 5;
  const runs = options.runs ?? 3;
  const clients = options.clients ?? 16;
  const receiver = Proc.spawn("notify receiver", [
    `${root}node_modules/deno/deno`,
    "run",
    "-A",
    `${root}scripts/bench/notify.ts`,
    "--receiver",
  ]);
  const [, target] = await receiver.waitForOutput(/receiving on (http:\/\/\S+)/, 30_000);
  const rows: NotifyRow[] = [];
  try {
    for (const runtime of options.runtimes ?? ["bun", "deno"]) {
      const plain: number[] = [];
      const notified: number[] = [];
      const totals = { sent: 0, dropped: 0, queued: 0, ends: 0 };
      for (let run = 0; run < runs; run++) {
        const without = await measure(runtime, null, seconds, clients);
        plain.push(without.perSec);
        const withNotify = await measure(runtime, target!, seconds, clients);
        notified.push(withNotify.perSec);
        totals.sent += withNotify.sent;
        totals.dropped += withNotify.dropped;
        totals.queued += withNotify.queued;
        totals.ends += withNotify.ends;
        print(
          `${runtime} run ${run + 1}: ${without.perSec.toFixed(0)} ends/s without, ` +
            `${withNotify.perSec.toFixed(0)} with --notify (sent ${withNotify.sent}, ` +
            `dropped ${withNotify.dropped} of ${withNotify.ends})`,
        );
      }
      const row = {
        runtime,
        plain: median(plain),
        notified: median(notified),
        ratio: median(notified) / median(plain),
        ...totals,
      };
      rows.push(row);
    }
  } finally {
    await receiver.stop();
  }
  return rows;
}

/** The rows as a table. */
export function notifyTable(rows: NotifyRow[]): string {
  const lines = [
    "runtime  ends/s plain  ends/s --notify  ratio  notices sent  dropped  queued  (of ends)",
  ];
  for (const row of rows) {
    lines.push(
      `${row.runtime.padEnd(7)}  ${row.plain.toFixed(0).padStart(12)}  ${
        row.notified.toFixed(0).padStart(15)
      }  ${row.ratio.toFixed(2).padStart(5)}  ${String(row.sent).padStart(12)}  ${
        String(row.dropped).padStart(7)
      }  ${String(row.queued).padStart(6)}  (${row.ends})`,
    );
  }
  return lines.join("\n");
}

if (import.meta.main) {
  const args = Deno.args;
  if (args[0] === "--receiver") {
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      async (request) => {
        await request.arrayBuffer();
        return new Response(null, { status: 204 });
      },
    );
    console.log(`receiving on http://127.0.0.1:${server.addr.port}/hook`);
    await server.finished;
    Deno.exit(0);
  }
  await runStandalone(async () => {
    const rows = await notifySection({
      ...runFlags(args),
    });
    console.log(notifyTable(rows));
    for (const row of rows) {
      console.log(`${row.runtime}: --notify keeps ${row.ratio.toFixed(2)} of the plain end rate`);
    }
  });
}
