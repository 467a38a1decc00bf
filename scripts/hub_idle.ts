/**
 * Measures the hub's liveness close through ringside itself, on each runtime: when a client that
 * answers nothing is pinged and closed for a `--hub-idle`, whether what the server sends it
 * counts as life, and that a client answering every ping stays. It prints; it is not a test
 * (`tests/hub_test.ts` tests the behaviour, with no clock).
 *
 * ```sh
 * node_modules/deno/deno run -A scripts/hub_idle.ts                       # 8s, bun and deno
 * node_modules/deno/deno run -A scripts/hub_idle.ts --idle 60s --only bun
 * ```
 *
 * Clients, each a raw TCP WebSocket: four silent ones connected 1.3 s apart (spread over Bun's 4 s
 * tick), one silent one subscribed to a job that publishes every second, and one that answers
 * every ping. Each is watched for 2.5 × `--hub-idle` + 5 s.
 */

import { parseDuration } from "../src/flag_units.ts";
import { startServer, type TestRuntime } from "../tests/_server.ts";
import { rawWebSocket } from "../tests/_ws.ts";

interface Observed {
  client: string;
  connectedAt: number;
  pings: number[];
  end: string;
}

function flag(name: string, fallback: string): string {
  const at = Deno.args.indexOf(`--${name}`);
  return at >= 0 && Deno.args[at + 1] !== undefined ? Deno.args[at + 1]! : fallback;
}

const seconds = (ms: number) => (ms / 1000).toFixed(2);

/** Connects, optionally subscribes, then reads until the end or `watchMs`; answers pings if told. */
async function observe(
  origin: string,
  client: string,
  options: { watchMs: number; answer?: boolean; subscribe?: string; t0: number },
): Promise<Observed> {
  using socket = await rawWebSocket(origin);
  const connectedAt = performance.now();
  if (options.subscribe) {
    await socket.send(JSON.stringify({ type: "subscribe", data: options.subscribe }));
  }
  const pings: number[] = [];
  let end = "still open";
  const timer = setTimeout(() => socket[Symbol.dispose](), options.watchMs);
  try {
    for await (const { opcode, payload } of socket.frames()) {
      const at = performance.now() - connectedAt;
      if (opcode === 0x9) {
        pings.push(at);
        if (options.answer) await socket.pong(payload);
      }
      if (opcode === 0x8) {
        const code = payload.length >= 2 ? new DataView(payload.buffer).getUint16(0) : 1005;
        end = `close ${code} at ${seconds(at)} s`;
        break;
      }
    }
    if (end === "still open" && performance.now() - connectedAt < options.watchMs) {
      end = `EOF at ${seconds(performance.now() - connectedAt)} s`;
    }
  } catch (error) {
    // Closed by the timer while reading: still open when the watch ended.
    const closed = error instanceof Deno.errors.Interrupted ||
      error instanceof Deno.errors.BadResource;
    if (!closed) throw error;
  } finally {
    clearTimeout(timer);
  }
  return { client, connectedAt: connectedAt - options.t0, pings, end };
}

async function measure(runtime: TestRuntime, idle: string): Promise<void> {
  const idleMs = parseDuration(idle);
  const watchMs = 2.5 * idleMs + 5_000;
  await using server = await startServer({ runtime, args: ["--hub-idle", idle] });
  const job = `${server.origin}/api/v1/jobs/tick`;
  (await fetch(job, { method: "POST", body: "{}" })).body?.cancel();
  let publishing = true;
  const publisher = (async () => {
    for (let progress = 0; publishing; progress++) {
      const answer = await fetch(`${job}/progress`, {
        method: "POST",
        body: JSON.stringify({ progress: progress % 100 }),
      });
      await answer.body?.cancel();
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  })();
  const t0 = performance.now();
  const runs: Promise<Observed>[] = [
    observe(server.origin, "answers every ping", { watchMs, answer: true, t0 }),
    observe(server.origin, "silent, sent a message a second", {
      watchMs,
      subscribe: "job:tick",
      t0,
    }),
  ];
  for (let i = 1; i <= 4; i++) {
    runs.push(observe(server.origin, `silent ${i}`, { watchMs, t0 }));
    await new Promise((resolve) => setTimeout(resolve, 1_300));
  }
  const observed = await Promise.all(runs);
  publishing = false;
  await publisher;
  console.log(`\n${runtime}, --hub-idle ${idle} (times from each client's connection)`);
  for (const { client, pings, end } of observed) {
    const shown = pings.length > 6
      ? `${pings.slice(0, 5).map(seconds).join(", ")}, … (${pings.length})`
      : pings.map(seconds).join(", ") || "none";
    console.log(`  ${client.padEnd(32)} pings at ${shown} s; ${end}`);
  }
}

const idle = flag("idle", "8s");
const only = flag("only", "bun,deno").split(",") as TestRuntime[];
for (const runtime of only) await measure(runtime, idle);
