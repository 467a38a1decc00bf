/**
 * Section `idle` (long): what waiting connections cost. One ringside on Bun, its caps raised by
 * flags (`--max-topics`, `--max-total-spectators`, `--max-spectators`) above what the section
 * opens and its open-file limit raised to the hard limit; then `--idle-receivers` (10,000)
 * waiting receivers on distinct pipes, then `--idle-spectators` (10,000) SSE spectators over
 * `--idle-pipes` (200) pipes, each held open by `_idle_clients.ts` in its own process. Measured:
 * the server's RSS before, with the receivers, with the spectators, its peak, and RSS per
 * connection; then that every one is still served: nothing was refused or dropped, a 1 MB
 * transfer to a random waiting receiver completes, and a transfer on a random spectated pipe
 * ends every one of its spectators' streams with `done`. Goal: < 300 MB RSS for the 20,000.
 *
 * When the two groups together need more sockets than the server may open (`ulimit -Hn`), the
 * receivers are checked and closed before the spectators come, and the report says so.
 *
 * @module
 */

import {
  type BenchSection,
  fmtMB,
  log,
  mb,
  type Options,
  recordFailure,
  table,
} from "./_context.ts";
import {
  delay,
  openFilesHardLimit,
  Proc,
  ProcessProbe,
  residentBytes,
  root,
  type Server,
  startRingside,
  transfer,
  withTimeout,
} from "./_harness.ts";

interface Phase {
  what: string;
  connections: number;
  rss: number;
  refused: number;
  dropped: number;
}

interface ClientStatus {
  open: number;
  ended: number;
  refused: number;
  failed?: number;
  seconds?: number;
}

/** The `idle` section. */
export function idleSection(options: Options): BenchSection {
  const phases: Phase[] = [];
  const checks: string[] = [];
  const notes: string[] = [];
  let baseline = 0;
  let peak = 0;
  return {
    name: "idle",
    long: true,
    targets: [],
    async run(ctx) {
      const receivers = options.idleReceivers;
      const spectators = options.idleSpectators;
      const pipes = Math.min(options.idlePipes, spectators);
      const perPipe = Math.ceil(spectators / pipes);
      const hard = await openFilesHardLimit();
      // The server's own descriptors (listener, stdio, runtime) stay under a hundred.
      const together = receivers + spectators + 100 <= hard;
      log(
        `\n== idle: ${receivers} waiting receivers, then ${spectators} spectators over ${pipes} ` +
          `pipes (open files: ${hard}; ${together ? "held together" : "one group at a time"})`,
      );
      if (!together) {
        notes.push(
          `The server may open ${hard} files (ulimit -Hn; raising it is not permitted here), fewer ` +
            `than ${
              receivers + spectators
            } sockets: the receivers were checked and closed before ` +
            "the spectators came.",
        );
      }
      const caps = [
        "--max-topics",
        String(receivers + pipes + 100),
        "--max-total-spectators",
        String(spectators + 100),
        "--max-spectators",
        String(perPipe + 10),
        "--wait-timeout",
        "1h",
        "--exit-on-stdin-close",
      ];
      notes.push(`caps: ${caps.slice(0, -1).join(" ")}`);
      const server = await startRingside("bun", caps, {
        openFiles: hard,
        label: "ringside (bun), idle",
      });
      const sample = `${ctx.work}/idle-sample.bin`;
      await Deno.writeFile(sample, crypto.getRandomValues(new Uint8Array(65536)));
      const megabyte = `${ctx.work}/idle-1mb.bin`;
      await Deno.writeFile(megabyte, new Uint8Array(mb).map((_, i) => (i * 7919) & 255));
      const clients: Proc[] = [];
      try {
        // A transfer first, so the baseline includes the code paths the connections use.
        await transfer({
          url: server.pipeUrl("idle-warm-up"),
          upload: { kind: "length", file: megabyte },
          expectedBytes: mb,
          timeoutMs: 60_000,
        });
        await delay(1000);
        baseline = residentBytes(server.proc.pid);
        const probe = new ProcessProbe(server.proc.pid, 200);
        const id = crypto.randomUUID().slice(0, 6);
        const prefixes = { receivers: `idle-r-${id}`, spectators: `idle-s-${id}` };
        const receiverClients = spawnClients(hard, server, [
          "receivers",
          String(receivers),
          prefixes.receivers,
        ]);
        clients.push(receiverClients);
        const r = await connected(receiverClients, receivers);
        await waitForGauge(server, "ringside_pipes", receivers);
        await delay(2000);
        phases.push({
          what: `${receivers} waiting receivers (connected in ${r.seconds?.toFixed(1)} s)`,
          connections: receivers,
          rss: residentBytes(server.proc.pid),
          refused: r.refused + (r.failed ?? 0),
          dropped: r.ended - r.refused,
        });
        log(`  receivers: RSS ${fmtMB(phases.at(-1)!.rss)}`);
        // Whether the waiting receivers are still served: before the spectators come when they
        // leave first, after the spectators connected when both are held together.
        const checkReceivers = async () =>
          checks.push(
            await receiverServed(
              server,
              receiverClients,
              { receivers, prefix: prefixes.receivers },
              megabyte,
            ),
          );
        if (!together) {
          await checkReceivers();
          await receiverClients.stop();
          await waitForGauge(server, "ringside_transfers_active", 0);
        }
        const spectatorClients = spawnClients(hard, server, [
          "spectators",
          String(spectators),
          prefixes.spectators,
          String(pipes),
        ]);
        clients.push(spectatorClients);
        const s = await connected(spectatorClients, spectators);
        await waitForGauge(server, "ringside_spectators", spectators);
        await delay(2000);
        const held = together ? receivers + spectators : spectators;
        phases.push({
          what: together
            ? `+ ${spectators} SSE spectators over ${pipes} pipes (in ${s.seconds?.toFixed(1)} s)`
            : `${spectators} SSE spectators over ${pipes} pipes (in ${s.seconds?.toFixed(1)} s)`,
          connections: held,
          rss: residentBytes(server.proc.pid),
          refused: s.refused + (s.failed ?? 0),
          dropped: s.ended - s.refused,
        });
        log(`  spectators: RSS ${fmtMB(phases.at(-1)!.rss)}`);
        if (together) {
          await checkReceivers();
        }
        checks.push(
          await spectatorsServed(
            server,
            spectatorClients,
            { spectators, pipes, prefix: prefixes.spectators },
            megabyte,
          ),
        );
        peak = probe.stop().peakRss;
        for (const client of clients.filter((c) => !c.exited)) {
          const status = await clientStatus(client);
          checks.push(
            `${client.name}: ${status.open} still open, ${status.refused} refused, ` +
              `${status.ended - status.refused} ended (the checked ones)`,
          );
        }
      } catch (error) {
        recordFailure(ctx, "idle", "idle", error);
      } finally {
        for (const client of clients) await client.stop();
        await server.proc.stop();
      }
    },
    report() {
      const rows = phases.map((p) => [
        p.what,
        String(p.connections),
        fmtMB(p.rss),
        `${((p.rss - baseline) / p.connections / 1024).toFixed(1)} KB`,
        String(p.refused),
        String(p.dropped),
      ]);
      const last = phases.at(-1);
      const goal = !last
        ? "not measured"
        : last.connections >= 19_000
        ? `${last.connections} held together; goal < 300 MB for 20,000: ` +
          (peak < 300 * mb ? "ok" : "MISSED")
        : `at most ${last.connections} held together; goal < 300 MB for 20,000: not measured`;
      return [[
        `Idle capacity: ringside (bun), baseline RSS ${fmtMB(baseline)} after one transfer, ` +
        `peak RSS ${fmtMB(peak)} (${goal})`,
        table(
          ["connections", "held", "RSS", "÷ conn. over baseline", "refused", "dropped"],
          rows,
          1,
        ),
        ...notes.map((n) => `  ${n}`),
        ...checks.map((c) => `  served afterwards: ${c}`),
      ]];
    },
  };
}

/** `_idle_clients.ts ORIGIN KIND COUNT PREFIX [PIPES]`, with the open-file limit raised. */
function spawnClients(openFiles: number, server: Server, args: string[]): Proc {
  return Proc.spawn(`idle ${args[0]}`, [
    "sh",
    "-c",
    `ulimit -n "$1" && shift && exec "$@"`,
    "sh",
    String(openFiles),
    Deno.execPath(),
    "run",
    "-A",
    `${root}scripts/bench/_idle_clients.ts`,
    server.origin,
    ...args,
  ]);
}

async function connected(client: Proc, count: number): Promise<ClientStatus> {
  const match = await client.waitForOutput(/^connected (.*)$/m, 120_000 + count * 20);
  return JSON.parse(match[1]!) as ClientStatus;
}

async function clientStatus(client: Proc): Promise<ClientStatus> {
  Deno.kill(client.pid, "SIGUSR1");
  const match = await client.waitForOutput(/^status (.*)$/m, 30_000);
  return JSON.parse(match[1]!) as ClientStatus;
}

async function gauge(server: Server, name: string): Promise<number> {
  const text = await (await fetch(`${server.origin}/metrics`)).text();
  return Number(new RegExp(`^${name} (\\d+)$`, "m").exec(text)?.[1] ?? NaN);
}

/** Waits until the server's `/metrics` gauge `name` reads `value` or more (0: exactly 0). */
async function waitForGauge(server: Server, name: string, value: number): Promise<void> {
  await withTimeout(
    (async () => {
      for (;;) {
        const now = await gauge(server, name);
        if (value === 0 ? now === 0 : now >= value) return;
        await delay(250);
      }
    })(),
    120_000,
    `${name} to reach ${value}`,
  );
}

/** A 1 MB sender to a random waiting receiver: its connection must get the whole body. */
async function receiverServed(
  server: Server,
  client: Proc,
  { receivers, prefix }: { receivers: number; prefix: string },
  file: string,
): Promise<string> {
  const index = Math.floor(Math.random() * receivers);
  const sender = Proc.spawn("idle sender", [
    "curl",
    "-sS",
    "--fail",
    "-T",
    file,
    server.pipeUrl(`${prefix}-${index}`),
  ]);
  const status = await withTimeout(sender.status, 60_000, "the sender to a waiting receiver");
  const ended = await client.waitForOutput(
    new RegExp(`^ended (\\{"index":${index},.*)$`, "m"),
    30_000,
  );
  const result = JSON.parse(ended[1]!) as { status: number; bytes: number; ended: string };
  const ok = status.success && /Sent 1000000 bytes to 1 receiver/.test(sender.stdout) &&
    result.status === 200 && result.bytes > mb && result.ended === "eof";
  if (!ok) {
    throw new Error(
      `receiver ${index} was not served: sender ${sender.tail(300)}, receiver ${ended[1]}`,
    );
  }
  return `receiver ${index} of ${receivers} got its 1 MB (200, ${result.bytes} bytes with headers)`;
}

/** A 1 MB transfer on a random spectated pipe: every spectator of it must get `done`. */
async function spectatorsServed(
  server: Server,
  client: Proc,
  { spectators, pipes, prefix }: { spectators: number; pipes: number; prefix: string },
  file: string,
): Promise<string> {
  const pipe = Math.floor(Math.random() * pipes);
  const name = `${prefix}-${pipe}`;
  const watching = Array.from({ length: spectators }, (_, i) => i).filter((i) => i % pipes === pipe)
    .length;
  await transfer({
    url: server.pipeUrl(name),
    upload: { kind: "length", file },
    expectedBytes: mb,
    timeoutMs: 60_000,
  });
  const pattern = new RegExp(`^ended (\\{[^\\n]*"pipe":"${name}"[^\\n]*)$`, "gm");
  const ends = await withTimeout(
    (async () => {
      for (;;) {
        const lines = [...client.stdout.matchAll(pattern)].map((m) => JSON.parse(m[1]!));
        if (lines.length >= watching) return lines as { done: boolean; status: number }[];
        await delay(200);
      }
    })(),
    30_000,
    `the ${watching} spectators of ${name} to end`,
  );
  const done = ends.filter((e) => e.done && e.status === 200).length;
  if (done !== watching) {
    throw new Error(`only ${done} of ${watching} spectators of ${name} got done`);
  }
  return `all ${watching} spectators of pipe ${pipe} of ${pipes} got 'done' after its transfer`;
}
