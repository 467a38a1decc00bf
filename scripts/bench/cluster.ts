/**
 * Cluster bench: what Redis adds between a job's owner and a spectator on another node.
 *
 * Starts redis-server and two nodes (Bun) on loopback, a job on node a, SSE spectators on node a
 * (same node) and on node b (its watch link, through Redis), then publishes events one at a time
 * and measures, in this one process and on one clock:
 * - latency from the publish request to each spectator's event, p50/p99, same node vs other node;
 * - Redis `PUBLISH` calls per event (INFO commandstats), with 1 and 50 spectators on node b;
 * - events per CPU-second of each node (/proc utime+stime over the run).
 *
 * `node_modules/deno/deno run -A scripts/bench/cluster.ts [--events 300]`
 */

const root = new URL("../../", import.meta.url).pathname;

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

async function waitPort(port: number): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const ok = await Deno.connect({ hostname: "127.0.0.1", port }).then(
      (c) => (c.close(), true),
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`nothing listens on ${port}`);
}

function cpuSeconds(pid: number): number {
  const fields = Deno.readTextFileSync(`/proc/${pid}/stat`).split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function redisPublishCalls(port: number): Promise<number> {
  const out = await new Deno.Command("redis-cli", {
    args: ["-p", String(port), "INFO", "commandstats"],
    stdout: "piped",
  }).output();
  const match = /cmdstat_publish:calls=(\d+)/.exec(new TextDecoder().decode(out.stdout));
  return match ? Number(match[1]) : 0;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** An SSE reader calling `onData` with each event's parsed data and its arrival time. */
async function follow(
  url: string,
  onData: (data: Record<string, unknown>, at: number) => void,
  signal: AbortSignal,
): Promise<void> {
  for (let i = 0;; i++) {
    const res = await fetch(url, { headers: { accept: "text/event-stream" }, signal });
    if (res.status === 200) {
      const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      (async () => {
        try {
          for (;;) {
            const { done, value } = await reader.read();
            if (done) return;
            const at = performance.now();
            buffer += value;
            let end;
            while ((end = buffer.indexOf("\n\n")) >= 0) {
              const block = buffer.slice(0, end);
              buffer = buffer.slice(end + 2);
              const data = /^data: (.*)$/m.exec(block)?.[1];
              if (data) onData(JSON.parse(data), at);
            }
          }
        } catch {
          // aborted
        }
      })();
      return;
    }
    await res.body?.cancel();
    if (i > 200) throw new Error(`${url}: ${res.status}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

if (import.meta.main) {
  const eventsIndex = Deno.args.indexOf("--events");
  const events = eventsIndex >= 0 ? Number(Deno.args[eventsIndex + 1]) : 300;
  const started: Deno.ChildProcess[] = [];
  const dir = await Deno.makeTempDir({ prefix: "ringside-bench-cluster-" });
  const redisPort = freePort();
  started.push(
    new Deno.Command("/usr/bin/redis-server", {
      args: ["--port", String(redisPort), "--bind", "127.0.0.1", "--save", "", "--dir", dir],
      stdout: "null",
      stderr: "null",
    }).spawn(),
  );
  await waitPort(redisPort);
  const nodes: { origin: string; pid: number }[] = [];
  for (const name of ["a", "b"]) {
    const port = freePort();
    const child = new Deno.Command(`${root}node_modules/.bin/bun`, {
      args: [
        `${root}main.ts`,
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        String(port),
        "--redis",
        `redis://127.0.0.1:${redisPort}`,
        "--node",
        name,
        "--progress-interval",
        "1ms",
        "--max-spectators",
        "1000",
        "--exit-on-stdin-close",
      ],
      stdin: "piped",
      stdout: "null",
      stderr: "null",
    }).spawn();
    started.push(child);
    await waitPort(port);
    nodes.push({ origin: `http://127.0.0.1:${port}`, pid: child.pid });
  }
  const [a, b] = nodes as [{ origin: string; pid: number }, { origin: string; pid: number }];
  const abort = new AbortController();
  try {
    for (const spectatorsOnB of [1, 50]) {
      const job = `${a.origin}/api/v1/jobs/bench-${spectatorsOnB}`;
      const start = await fetch(job, { method: "POST", body: '{"progress":0}' });
      const { watch } = await start.json();
      const id = new URL(watch).pathname.split("/").at(-1)!;
      const sentAt = new Map<number, number>();
      const same: number[] = [];
      const other: number[] = [];
      const seen = new Map<number, number>();
      let wake: (() => void) | null = null;
      const record = (into: number[]) => (data: Record<string, unknown>, at: number) => {
        const n = data.progress as number;
        const t0 = sentAt.get(n);
        if (t0 === undefined || n === 0) return;
        into.push(at - t0);
        seen.set(n, (seen.get(n) ?? 0) + 1);
        wake?.();
      };
      await follow(job, record(same), abort.signal);
      for (let i = 0; i < spectatorsOnB; i++) {
        await follow(`${b.origin}/w/${id}`, record(other), abort.signal);
      }
      await new Promise((r) => setTimeout(r, 300));
      const calls0 = await redisPublishCalls(redisPort);
      const cpu0 = [cpuSeconds(a.pid), cpuSeconds(b.pid)];
      for (let n = 1; n <= events; n++) {
        sentAt.set(n, performance.now());
        const res = await fetch(`${job}/progress`, {
          method: "POST",
          body: JSON.stringify({ progress: n }),
        });
        await res.body?.cancel();
        // One event in flight at a time: wait until every spectator has it (or 1 s).
        const deadline = performance.now() + 1000;
        while ((seen.get(n) ?? 0) < 1 + spectatorsOnB && performance.now() < deadline) {
          await new Promise<void>((r) => {
            wake = r;
            setTimeout(r, 50);
          });
        }
      }
      const cpu1 = [cpuSeconds(a.pid), cpuSeconds(b.pid)];
      const calls = (await redisPublishCalls(redisPort)) - calls0;
      const finish = await fetch(`${job}/finish`, { method: "POST", body: '{"ok":true}' });
      await finish.body?.cancel();
      const fmt = (v: number) => v.toFixed(1);
      console.log(`--- ${events} events, 1 spectator on the owner, ${spectatorsOnB} on node b`);
      console.log(
        `latency same node   p50 ${fmt(percentile(same, 50))} ms  p99 ${
          fmt(percentile(same, 99))
        } ms  (${same.length} samples)`,
      );
      console.log(
        `latency other node  p50 ${fmt(percentile(other, 50))} ms  p99 ${
          fmt(percentile(other, 99))
        } ms  (${other.length} samples)`,
      );
      console.log(
        `p99 added by Redis  ${fmt(percentile(other, 99) - percentile(same, 99))} ms (goal < 50)`,
      );
      console.log(`redis PUBLISH per event  ${(calls / events).toFixed(2)} (goal 1)`);
      const cpuA = cpu1[0]! - cpu0[0]!;
      const cpuB = cpu1[1]! - cpu0[1]!;
      console.log(
        `cpu  owner ${cpuA.toFixed(2)} s (${
          (events / cpuA).toFixed(0)
        } events/cpu-s, incl. HTTP publish)` +
          `  node b ${cpuB.toFixed(2)} s (${
            (events * spectatorsOnB / cpuB).toFixed(0)
          } spectator-deliveries/cpu-s)`,
      );
    }
  } finally {
    abort.abort();
    for (const child of started) {
      try {
        child.kill("SIGTERM");
      } catch {
        // gone
      }
      await child.status;
    }
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}
