/**
 * Several nodes joined through Redis, behind HAProxy: real redis-server, three real ringside
 * nodes and HAProxy started from `deploy/haproxy-cluster.cfg`. Default runtime only (the
 * bridge is the same code on every runtime; the runtimes' own tests cover the rest).
 */

import assert from "node:assert/strict";
import { curl, noise, sha256 } from "./_curl.ts";
import { startHaproxyCluster } from "./_proxy.ts";
import { startRedis } from "./_redis.ts";
import { runGated, startServer, testRuntime, type TestServer } from "./_server.ts";
import { decodeText, openSse, readSse, type SseEvent } from "./_sse.ts";
import { HubConnection, type HubMessage } from "./_ws.ts";

const tmp = await Deno.makeTempDir({ prefix: "ringside-cluster-" });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Calls `attempt` until it gives something other than `null` (bounded). */
async function eventually<T>(what: string, attempt: () => Promise<T | null>): Promise<T> {
  for (let tries = 0; tries < 400; tries++) {
    const value = await attempt().catch(() => null);
    if (value !== null) return value;
    await sleep(50);
  }
  throw new Error(`Gave up waiting for ${what}`);
}

/** An SSE stream read in the background, every event and comment kept. */
class Follower {
  readonly events: SseEvent[] = [];
  readonly comments: string[] = [];
  /** Resolves when the server ends the stream. */
  readonly ended: Promise<void>;
  #wake: (() => void) | null = null;
  #abort = new AbortController();

  private constructor(response: Response) {
    this.ended = readSse(response.body!, (event, record) => {
      this.events.push(event);
      this.comments.splice(0, this.comments.length, ...record.comments);
      this.#wake?.();
    }).then((record) => {
      this.comments.splice(0, this.comments.length, ...record.comments);
      this.#wake?.();
    }, () => {});
  }

  /** Opens `url` as SSE once it answers 200 (a remote topic shows up a moment after its start). */
  static async open(url: string): Promise<Follower> {
    const controller = new AbortController();
    const response = await eventually(`an SSE stream at ${url}`, async () => {
      const response = await openSse(url, controller.signal).catch(() => null);
      return response;
    });
    const follower = new Follower(response);
    follower.#abort = controller;
    return follower;
  }

  /** Waits until an event matches. */
  async until(match: (event: SseEvent) => boolean): Promise<SseEvent> {
    let ended = false;
    this.ended.then(() => ended = true);
    for (;;) {
      const found = this.events.find(match);
      if (found) return found;
      if (ended) throw new Error(`Stream ended; got ${JSON.stringify(this.events)}`);
      await Promise.race([new Promise<void>((resolve) => this.#wake = resolve), this.ended]);
    }
  }

  close(): void {
    this.#abort.abort();
  }
}

/** Three nodes on one Redis, with HAProxy in front. */
async function startCluster(redisUrl: string, extra: string[] = []) {
  const nodes: TestServer[] = [];
  for (const node of ["n1", "n2", "n3"]) {
    nodes.push(
      await startServer({
        args: ["--redis", redisUrl, "--node", node, "--progress-interval", "20ms", ...extra],
      }),
    );
  }
  const ports = nodes.map((node) => Number(new URL(node.origin).port)) as [
    number,
    number,
    number,
  ];
  return { nodes, ports };
}

function progressOf(data: unknown): unknown {
  const object = data as { progress?: unknown; data?: { progress?: unknown } };
  return object.progress ?? object.data?.progress;
}

Deno.test(`cluster: pipes, jobs and processes across three nodes behind HAProxy (${testRuntime})`, async (t) => {
  await using redis = await startRedis();
  const { nodes, ports } = await startCluster(redis.url, ["--trust-proxy"]);
  await using _n1 = nodes[0]!;
  await using _n2 = nodes[1]!;
  await using _n3 = nodes[2]!;
  await using proxy = await startHaproxyCluster(ports);

  await t.step("/metrics and /api/v1/stats name their node", async () => {
    for (const [index, node] of nodes.entries()) {
      const metrics = await (await fetch(`${node.origin}/metrics`)).text();
      assert.match(metrics, new RegExp(`^ringside_node_info\\{node="n${index + 1}"\\} 1$`, "m"));
      const stats = await (await fetch(`${node.origin}/api/v1/stats`)).json();
      assert.equal(stats.node, `n${index + 1}`);
    }
  });

  await t.step("a pipe sent to /api/v1/pipe/x and received from /x meets on one node", async () => {
    const file = `${tmp}/x.bin`;
    const body = noise(16 * 1024 * 1024, 11);
    await Deno.writeFile(file, body);
    for (const name of ["x", "another-pipe", "third/one"]) {
      const receiver = curl("-sf", "-o", `${tmp}/x.out`, `${proxy.origin}/${name}`);
      const sender = curl("-sf", "-T", file, `${proxy.origin}/api/v1/pipe/${name}`);
      const [sent, received] = await Promise.all([sender.result, receiver.result]);
      assert.equal(sent.code, 0, sent.stderr);
      assert.equal(received.code, 0, received.stderr);
      assert.equal(await sha256(await Deno.readFile(`${tmp}/x.out`)), await sha256(body));
    }
  });

  await t.step(
    "a job on node 1: its watch link on node 2 (SSE) and watch:{id} on node 3 (hub) see the same events",
    async () => {
      const [a, b, c] = nodes as [TestServer, TestServer, TestServer];
      const job = `${a.origin}/api/v1/jobs/cluster-job`;
      const started = await fetch(job, { method: "POST", body: JSON.stringify({ progress: 0 }) });
      assert.equal(started.status, 201);
      const { watch } = await started.json();
      const id = new URL(watch).pathname.split("/").at(-1)!;
      // The link is in Redis before the start is answered: other nodes resolve it at once.
      const resolved = await fetch(`${b.origin}/w/${id}?format=json`);
      assert.equal(resolved.status, 200, await resolved.clone().text());
      assert.equal((await resolved.json()).id, id);

      const sse = await Follower.open(`${b.origin}/w/${id}`);
      using hub = await HubConnection.open(c.origin);
      await hub.subscribe(`watch:${id}`);
      const hubEvents: HubMessage[] = [];
      const nextHub = async () => {
        const message = await hub.next();
        hubEvents.push(message);
        return message;
      };
      // Greetings: both start at progress 0.
      assert.equal(progressOf((await nextHub()).data), 0);
      await sse.until((event) => progressOf(JSON.parse(event.data)) === 0);

      for (const progress of [10, 20, 30, 40, 50]) {
        const published = await fetch(`${job}/progress`, {
          method: "POST",
          body: JSON.stringify({ progress }),
        });
        assert.ok(published.ok, String(published.status));
        await published.body?.cancel();
        // One publish at a time, each seen by both, so neither coalesces.
        await sse.until((event) => progressOf(JSON.parse(event.data)) === progress);
        let message = await nextHub();
        while (progressOf(message.data) !== progress) message = await nextHub();
      }
      const finished = await fetch(`${job}/finish`, {
        method: "POST",
        body: JSON.stringify({ ok: true }),
      });
      assert.ok(finished.ok);
      await finished.body?.cancel();
      await sse.ended;
      let last = await nextHub();
      while (last.type !== "unsubscribed") last = await nextHub();

      const seenBySse = sse.events.filter((event) => event.type === "progress").map((event) =>
        progressOf(JSON.parse(event.data))
      );
      const seenByHub = hubEvents.filter((m) =>
        m.type === "job_progress" && m.data.state === "running"
      )
        .map((m) => progressOf(m.data));
      assert.deepEqual(seenBySse, seenByHub);
      assert.deepEqual(seenBySse, [0, 10, 20, 30, 40, 50]);
      assert.equal(sse.events.at(-1)?.type, "complete");
      const lastJob = hubEvents.filter((m) => m.type === "job_progress").at(-1)!;
      assert.equal(lastJob.data.state, "success");
      // The watch link never names the job, on either node.
      for (const event of sse.events) assert.ok(!event.data.includes("cluster-job"), event.data);
      for (const message of hubEvents) assert.ok(!JSON.stringify(message).includes("cluster-job"));
    },
  );

  await t.step("a process run through the balancer is followed on every node", async () => {
    const flag = `${tmp}/go-process`;
    const child = runGated(proxy.origin, "cluster-proc", { gate: flag, lines: 300 });
    const stdout = new Response(child.stdout).text();
    let stderr = "";
    const stderrDone = (async () => {
      for await (const chunk of decodeText(child.stderr)) stderr += chunk;
    })();
    const link = await eventually("the watch link from ringside run", () => {
      const match = /watch link (http:\/\/\S+\/w\/([\w-]{22}))/.exec(stderr);
      return Promise.resolve(match ? match : null);
    });
    // The printed link uses the public origin: the balancer's.
    assert.ok(link[1]!.startsWith(proxy.origin), link[1]);
    const id = link[2]!;
    const followers = await Promise.all(
      nodes.map((node) => Follower.open(`${node.origin}/w/${id}`)),
    );
    await Deno.writeTextFile(flag, "go");
    const status = await child.status;
    await stderrDone;
    assert.equal(status.code, 0, stderr);
    assert.equal((await stdout).split("\n").length, 301);
    const expected = Array.from({ length: 300 }, (_, i) => String(i + 1));
    for (const follower of followers) {
      await follower.ended;
      const lines = follower.events.filter((event) => event.type === "output").map((event) =>
        JSON.parse(event.data).line
      );
      assert.deepEqual(lines, expected);
      const end = follower.events.at(-1)!;
      assert.equal(end.type, "status");
      assert.equal(JSON.parse(end.data).status, "exited");
    }
  });
});

Deno.test(`cluster: a node killed mid-run (${testRuntime})`, async () => {
  await using redis = await startRedis();
  const args = ["--redis", redis.url, "--progress-interval", "20ms", "--retention", "4s"];
  const a = await startServer({ args: [...args, "--node", "a"] });
  await using _a = a;
  await using b = await startServer({ args: [...args, "--node", "b"] });

  // A job that ended on node a, retained there, and watched from node b.
  const job = `${a.origin}/api/v1/jobs/retained`;
  const started = await fetch(job, { method: "POST", body: JSON.stringify({ progress: 5 }) });
  assert.equal(started.status, 201);
  const { watch } = await started.json();
  const id = new URL(watch).pathname.split("/").at(-1)!;
  const finished = await fetch(`${job}/finish`, { method: "POST", body: '{"ok":true}' });
  assert.ok(finished.ok);
  await finished.body?.cancel();
  const remoteLink = `${b.origin}/w/${id}`;
  const snapshotOnB = () =>
    fetch(remoteLink, { headers: { accept: "application/json" } }).then(async (res) =>
      res.status === 200 ? await res.json() : (await res.body?.cancel(), res.status)
    );
  await eventually("the ended job on node b", async () => {
    const snapshot = await snapshotOnB();
    return typeof snapshot === "object" && snapshot.state === "success" ? snapshot : null;
  });

  // A transfer on each node, both mid-run.
  const transfer = (origin: string, name: string) => {
    const sender = new Deno.Command("curl", {
      args: ["-sS", "-T", "-", `${origin}/api/v1/pipe/${name}`],
      stdin: "piped",
      stdout: "null",
      stderr: "null",
    }).spawn();
    const out = `${tmp}/${name}.out`;
    const receiver = curl("-sS", "-o", out, `${origin}/api/v1/pipe/${name}`);
    return { sender, receiver, out };
  };
  const onA = transfer(a.origin, "on-a");
  const onB = transfer(b.origin, "on-b");
  const part = noise(1024 * 1024, 3);
  const writerA = onA.sender.stdin.getWriter();
  const writerB = onB.sender.stdin.getWriter();
  await writerA.write(part);
  await writerB.write(part);
  // Both receivers got bytes: the transfers run.
  for (const t of [onA, onB]) {
    await eventually("bytes at the receiver", async () => {
      const info = await Deno.stat(t.out).catch(() => null);
      return info && info.size > 0 ? info : null;
    });
  }

  await a.stop("SIGKILL");

  // Node a's own transfer fails at its receiver, as it would with one node.
  const receivedA = await onA.receiver.result;
  assert.notEqual(receivedA.code, 0, "the receiver on the killed node sees an error");
  await writerA.close().catch(() => {});
  await onA.sender.status;
  // Node b's goes on to the end, byte-exactly.
  await writerB.write(part);
  await writerB.close();
  assert.equal((await onB.sender.status).code, 0);
  const receivedB = await onB.receiver.result;
  assert.equal(receivedB.code, 0, receivedB.stderr);
  const both = new Uint8Array(part.length * 2);
  both.set(part);
  both.set(part, part.length);
  assert.equal(await sha256(await Deno.readFile(onB.out)), await sha256(both));

  // The killed node's retained job stays visible from node b until --retention ends.
  const still = await snapshotOnB();
  assert.equal(typeof still === "object" && still.state, "success");
  await eventually("the retained job to expire", async () => {
    const gone = await snapshotOnB();
    return gone === 404 ? gone : null;
  });
});

Deno.test(`cluster: Redis stopped and back (${testRuntime})`, async () => {
  await using redis = await startRedis();
  const args = ["--redis", redis.url, "--progress-interval", "20ms", "--retention", "4s"];
  await using a = await startServer({ args: [...args, "--node", "a"] });
  await using b = await startServer({ args: [...args, "--node", "b"] });

  const job = `${a.origin}/api/v1/jobs/through-redis`;
  const publish = async (progress: number) => {
    const res = await fetch(`${job}/progress`, {
      method: "POST",
      body: JSON.stringify({ progress }),
    });
    await res.body?.cancel();
    return res.ok;
  };
  const started = await fetch(job, { method: "POST", body: JSON.stringify({ progress: 1 }) });
  assert.equal(started.status, 201);
  const { watch } = await started.json();
  const id = new URL(watch).pathname.split("/").at(-1)!;
  const remoteLink = `${b.origin}/w/${id}`;

  const sse = await Follower.open(remoteLink);
  using hub = await HubConnection.open(b.origin);
  await eventually(
    "the watch channel on node b",
    () => hub.subscribe(`watch:${id}`).then(() => true),
  );
  assert.ok(await publish(2));
  await sse.until((event) => progressOf(JSON.parse(event.data)) === 2);
  await hub.until((m) => m.type === "job_progress" && progressOf(m.data) === 2);

  await redis.stop();

  // Cross-node spectators are told and their streams end: SSE after a comment, hub an error.
  await sse.ended;
  assert.ok(sse.comments.includes("error redis unavailable"), JSON.stringify(sse.comments));
  const error = await hub.until((m) => m.type === "error");
  assert.match(error.data, /redis unavailable/);
  assert.deepEqual(await hub.next(), { type: "unsubscribed", data: `watch:${id}` });

  // The owner goes on: a publish completes while Redis is gone, and its own spectators see it.
  const local = await Follower.open(job);
  assert.ok(await publish(3));
  await local.until((event) => progressOf(JSON.parse(event.data)) === 3);
  const own = await (await fetch(job, { headers: { accept: "application/json" } })).json();
  assert.equal(own.data.progress, 3);

  // Redis back (empty): the owner rewrites its record, and new subscriptions work unrestarted.
  await redis.restart();
  const again = await Follower.open(remoteLink);
  await eventually("the hub channel again", () => hub.subscribe(`watch:${id}`).then(() => true));
  assert.ok(await publish(4));
  await again.until((event) => progressOf(JSON.parse(event.data)) === 4);
  await hub.until((m) => m.type === "job_progress" && progressOf(m.data) === 4);
  const done = await fetch(`${job}/finish`, { method: "POST", body: '{"ok":true}' });
  await done.body?.cancel();
  await again.until((event) => event.type === "complete");
  await again.ended;
  local.close();
  await local.ended;
  // Every remote subscription is given back, the one lost with Redis included.
  await eventually("node b to unsubscribe from Redis", async () => {
    const out = await new Deno.Command("redis-cli", {
      args: ["-p", String(redis.port), "PUBSUB", "CHANNELS", "ringside:*"],
      stdout: "piped",
    }).output();
    return new TextDecoder().decode(out.stdout).trim() === "" ? true : null;
  });
});
