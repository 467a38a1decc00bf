/**
 * `--notify` with several nodes: two real ringside nodes on one real Redis, both told to notify
 * the same receiver. A topic's owner notifies its end once; the other node, whose spectators
 * follow the topic through Redis (a watch link's SSE, a hub channel), never does.
 */

import assert from "node:assert/strict";
import { metric, metricUntil, startReceiver } from "./_receiver.ts";
import { startRedis } from "./_redis.ts";
import { startServer, testRuntime } from "./_server.ts";
import { openSse, readSse } from "./_sse.ts";
import { HubConnection } from "./_ws.ts";

Deno.test(`notify: with two nodes, one notice per end, from the owner (${testRuntime})`, async () => {
  await using redis = await startRedis();
  await using receiver = startReceiver();
  const args = (node: string) => ["--redis", redis.url, "--node", node, "--notify", receiver.url];
  await using a = await startServer({ args: args("n1") });
  await using b = await startServer({ args: args("n2") });

  // A job and a process owned by n1, each followed on n2 (watch link SSE, hub channel).
  const started = await fetch(`${a.origin}/api/v1/jobs/deploy/eu`, {
    method: "POST",
    body: JSON.stringify({ progress: 1 }),
  });
  assert.equal(started.status, 201);
  const { watch } = await started.json();
  const id = new URL(watch).pathname.split("/").at(-1)!;
  const sse = await openSse(`${b.origin}/w/${id}`);
  using hub = await HubConnection.open(b.origin);
  await hub.subscribe(`watch:${id}`);

  const finished = await fetch(`${a.origin}/api/v1/jobs/deploy/eu/finish`, {
    method: "POST",
    body: JSON.stringify({ ok: true }),
  });
  assert.equal(finished.status, 200);
  await finished.body?.cancel();
  // n2's spectators saw the end...
  const record = await readSse(sse.body!, (event) => event.type === "complete");
  assert.equal(record.events.at(-1)!.type, "complete");
  let message = await hub.next();
  while (!(message.type === "job_progress" && message.data.state === "success")) {
    message = await hub.next();
  }
  // ...and a process ends on n1 too.
  const status = await fetch(`${a.origin}/api/v1/processes/backup/status`, {
    method: "POST",
    body: JSON.stringify({ status: "exited", exitCode: 0 }),
  });
  assert.equal(status.status, 200);
  await status.body?.cancel();

  await receiver.count(2);
  assert.equal(await metricUntil(a.origin, "ringside_notify_sent_total", (v) => v === 2), 2);
  // n2 held nothing and sent nothing: the ends were never its own.
  assert.equal(await metric(b.origin, "ringside_notify_queue"), 0);
  assert.equal(await metric(b.origin, "ringside_notify_sent_total"), 0);
  assert.equal(await metric(b.origin, "ringside_notify_failed_total"), 0);
  assert.equal(await metric(b.origin, "ringside_notify_dropped_total"), 0);
  // Both notices are n1's, one each, and no third one came meanwhile.
  const notices = receiver.deliveries.map((d) => `${d.json.node} ${d.json.kind}:${d.json.name}`);
  assert.deepEqual(notices.sort(), ["n1 job:deploy/eu", "n1 process:backup"]);
});
