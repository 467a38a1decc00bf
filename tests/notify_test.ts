// End to end for `--notify`: a real server (RINGSIDE_TEST_RUNTIME) posting to real webhook
// receivers on loopback (tests/_receiver.ts), topics ended through the HTTP API as a user would.
import assert from "node:assert/strict";
import { metric, metricUntil, startReceiver } from "./_receiver.ts";
import { expectedWatchId, ringsideCli, startServer, testRuntime } from "./_server.ts";
import { openSse, readSse } from "./_sse.ts";
import { VERSION } from "../src/version.ts";
import { postOk } from "./_post.ts";

const SECRET = "watch-secret-5c1a";
const NOTIFY_SECRET = "hook-secret-93fe";

/** Starts job `id` and finishes it with `outcome`. */
async function runJob(origin: string, id: string, outcome: unknown = { ok: true }): Promise<void> {
  await postOk(`${origin}/api/v1/jobs/${id}`, { progress: 0 });
  await postOk(`${origin}/api/v1/jobs/${id}/finish`, outcome);
}

/** A process that exists and ends in one request: its final status. */
function endProcess(origin: string, id: string, exitCode = 0): Promise<Response> {
  return postOk(`${origin}/api/v1/processes/${id}/status`, { status: "exited", exitCode });
}

Deno.test(`notify: every kind's end, its body, headers and signature (${testRuntime})`, async (t) => {
  await using receiver = startReceiver({ secret: NOTIFY_SECRET });
  await using server = await startServer({
    args: [
      "--notify",
      receiver.url,
      "--notify-secret",
      NOTIFY_SECRET,
      "--secret",
      SECRET,
      "--public-url",
      "https://watch.example.com/",
      "--node",
      "n-test",
    ],
  });
  const { origin } = server;
  const at = (kind: string, name: string) =>
    receiver.deliveries.find((d) => d.json.kind === kind && d.json.name === name);

  await t.step("a job's success: the whole notice, signed", async () => {
    await runJob(origin, "ci/build-7", { ok: true, artifact: "a.tar" });
    const [delivery] = await receiver.count(1);
    const notice = delivery!.json;
    const watch = await expectedWatchId(SECRET, "job", "ci/build-7");
    const snapshot = await (await fetch(`${origin}/api/v1/jobs/ci/build-7?format=json`)).json();
    assert.deepEqual(Object.keys(notice).sort(), [
      "at",
      "event",
      "kind",
      "name",
      "node",
      "snapshot",
      "state",
      "text",
      "url",
      "watch",
    ]);
    assert.equal(notice.event, "end");
    assert.equal(notice.kind, "job");
    assert.equal(notice.name, "ci/build-7");
    assert.equal(notice.state, "success");
    assert.deepEqual(notice.snapshot, { ...snapshot, spectators: 0 });
    assert.deepEqual(notice.snapshot.result, { ok: true, artifact: "a.tar" });
    assert.equal(notice.url, "https://watch.example.com/api/v1/jobs/ci/build-7");
    assert.equal(notice.watch, `https://watch.example.com/w/${watch}`);
    assert.equal(notice.node, "n-test");
    assert.ok(Math.abs(Date.parse(notice.at) - Date.now()) < 60_000);
    assert.match(
      notice.text,
      new RegExp(
        `^✓ job ci/build-7 succeeded in \\d+(\\.\\d)?s — https://watch\\.example\\.com/w/${watch}$`,
      ),
    );
    assert.equal(delivery!.signed, true);
    assert.equal(delivery!.headers.get("content-type"), "application/json");
    assert.equal(delivery!.headers.get("user-agent"), `ringside/${VERSION}`);
    assert.match(delivery!.headers.get("x-ringside-delivery")!, /^[0-9a-f-]{36}$/);
  });

  await t.step("a failed job, a pipe's transfer, a process's exit", async () => {
    await runJob(origin, "deploy", { ok: false, error: "<!channel> disk full" });
    const upload = fetch(`${origin}/api/v1/pipe/backup/db`, {
      method: "PUT",
      body: new Uint8Array(100_000),
    });
    const download = await fetch(`${origin}/api/v1/pipe/backup/db`);
    assert.equal((await download.arrayBuffer()).byteLength, 100_000);
    await (await upload).text();
    await endProcess(origin, "nightly", 3);
    await receiver.count(4);
    const failed = at("job", "deploy")!.json;
    assert.equal(failed.state, "failed");
    assert.equal(failed.snapshot.error, "<!channel> disk full");
    assert.match(failed.text, /^✗ job deploy failed after \S+: ‹!channel› disk full — https:/);
    const pipe = at("pipe", "backup/db")!.json;
    assert.equal(pipe.state, "complete");
    assert.equal(pipe.snapshot.bytes, 100_000);
    assert.equal(pipe.url, "https://watch.example.com/api/v1/pipe/backup/db?progress");
    assert.match(pipe.text, /^✓ pipe backup\/db complete: 100 kB in /);
    const process = at("process", "nightly")!.json;
    assert.equal(process.state, "exited");
    assert.equal(process.snapshot.exitCode, 3);
    assert.match(process.text, /^✗ process nightly exited 3 after /);
    assert.ok(receiver.deliveries.every((d) => d.signed === true));
  });

  await t.step("/metrics counts them", async () => {
    assert.equal(await metricUntil(origin, "ringside_notify_sent_total", (v) => v === 4), 4);
    assert.equal(await metric(origin, "ringside_notify_failed_total"), 0);
    assert.equal(await metric(origin, "ringside_notify_dropped_total"), 0);
    assert.equal(await metric(origin, "ringside_notify_queue"), 0);
  });
});

Deno.test(`notify: --notify-on keeps the ends it covers only (${testRuntime})`, async () => {
  await using receiver = startReceiver();
  await using server = await startServer({
    args: ["--notify", receiver.url, "--notify-on", "job:ci", "--notify-on", "process:backup-*"],
  });
  const { origin } = server;
  await runJob(origin, "ci-other");
  await runJob(origin, "deploy");
  await endProcess(origin, "backup");
  await runJob(origin, "ci/7");
  await runJob(origin, "ci");
  await endProcess(origin, "backup-db");
  await receiver.count(3);
  assert.equal(await metricUntil(origin, "ringside_notify_queue", (v) => v === 0), 0);
  assert.equal(await metric(origin, "ringside_notify_sent_total"), 3);
  assert.deepEqual(
    receiver.deliveries.map((d) => `${d.json.kind}:${d.json.name}`).sort(),
    ["job:ci", "job:ci/7", "process:backup-db"],
  );
});

Deno.test(`notify: a 500, then a success: one delivery id, retried (${testRuntime})`, async () => {
  await using receiver = startReceiver({
    answer: (_, index) => new Response("busy", { status: index === 0 ? 500 : 200 }),
  });
  await using server = await startServer({
    args: ["--notify", receiver.url, "--notify-retry", "50ms,100ms"],
  });
  await runJob(server.origin, "flaky");
  const [first, second] = await receiver.count(2);
  assert.equal(first!.body, second!.body);
  assert.equal(
    first!.headers.get("x-ringside-delivery"),
    second!.headers.get("x-ringside-delivery"),
  );
  assert.equal(await metricUntil(server.origin, "ringside_notify_sent_total", (v) => v === 1), 1);
  assert.equal(await metric(server.origin, "ringside_notify_failed_total"), 0);
});

Deno.test(`notify: a receiver down at the end and up later (${testRuntime})`, async () => {
  const gone = startReceiver();
  const port = gone.port;
  await gone.close();
  await using server = await startServer({
    args: [
      "--notify",
      `http://127.0.0.1:${port}/hook`,
      "--notify-retry",
      "100ms,200ms,400ms,1s,2s,4s,8s",
    ],
  });
  await runJob(server.origin, "while-down");
  // Refused at least once: waiting for a retry.
  await metricUntil(server.origin, "ringside_notify_retrying", (v) => v === 1);
  await using receiver = startReceiver({ port });
  const [delivery] = await receiver.count(1);
  assert.equal(delivery!.json.name, "while-down");
  assert.equal(await metricUntil(server.origin, "ringside_notify_sent_total", (v) => v === 1), 1);
});

Deno.test(`notify: a receiver that hangs is timed out; the topic ends on time (${testRuntime})`, async () => {
  const held: (() => void)[] = [];
  await using receiver = startReceiver({
    // It never answers a notice of `slow-hook` (until the test ends); others at once.
    answer: (delivery) =>
      delivery.json.name === "slow-hook"
        ? new Promise((resolve) => held.push(() => resolve(new Response(null))))
        : new Response(null, { status: 204 }),
  });
  await using server = await startServer({
    args: ["--notify", receiver.url, "--notify-timeout", "300ms", "--notify-retry", "50ms"],
  });
  const { origin } = server;
  await postOk(`${origin}/api/v1/jobs/slow-hook`, { progress: 0 });
  const spectator = await openSse(`${origin}/api/v1/jobs/slow-hook`);
  await postOk(`${origin}/api/v1/jobs/slow-hook/finish`, { ok: true });
  // The spectator has the end, and more ends are notified, while the receiver holds the notice.
  const record = await readSse(spectator.body!, (event) => event.type === "complete");
  assert.equal(record.events.at(-1)!.type, "complete");
  await runJob(origin, "next");
  await metricUntil(origin, "ringside_notify_sent_total", (v) => v === 1);
  assert.equal(receiver.deliveries.find((d) => d.json.name === "slow-hook") !== undefined, true);
  // Its attempt timed out and it was tried again, under the same delivery id.
  while (receiver.deliveries.filter((d) => d.json.name === "slow-hook").length < 2) {
    await receiver.count(receiver.deliveries.length + 1);
  }
  const ids = receiver.deliveries.filter((d) => d.json.name === "slow-hook")
    .map((d) => d.headers.get("x-ringside-delivery"));
  assert.equal(new Set(ids).size, 1);
  assert.equal(await metricUntil(origin, "ringside_notify_failed_total", (v) => v === 1), 1);
  for (const release of held) release();
});

Deno.test(`notify: 1,000 ends in a burst, none lost below the queue's size (${testRuntime})`, async () => {
  await using receiver = startReceiver();
  await using server = await startServer({ args: ["--notify", receiver.url] });
  const { origin } = server;
  const names = Array.from({ length: 1000 }, (_, i) => `burst-${i}`);
  // 20 clients at a time, each process created and ended by one final status.
  for (let i = 0; i < names.length; i += 20) {
    await Promise.all(names.slice(i, i + 20).map((name) => endProcess(origin, name)));
  }
  await receiver.count(1000);
  assert.deepEqual(new Set(receiver.deliveries.map((d) => d.json.name)), new Set(names));
  assert.equal(await metricUntil(origin, "ringside_notify_sent_total", (v) => v === 1000), 1000);
  assert.equal(await metric(origin, "ringside_notify_dropped_total"), 0);
});

Deno.test(`notify: past --notify-queue, notices are dropped and counted (${testRuntime})`, async () => {
  const held: (() => void)[] = [];
  await using receiver = startReceiver({
    answer: () => new Promise((resolve) => held.push(() => resolve(new Response(null)))),
  });
  await using server = await startServer({
    args: ["--notify", receiver.url, "--notify-queue", "10"],
  });
  const { origin } = server;
  for (let i = 0; i < 50; i++) await endProcess(origin, `over-${i}`);
  assert.equal(await metric(origin, "ringside_notify_dropped_total"), 40);
  assert.equal(await metric(origin, "ringside_notify_queue"), 10);
  while (receiver.deliveries.length < 10) {
    for (const release of held.splice(0)) release();
    await receiver.count(receiver.deliveries.length + 1);
  }
  for (const release of held.splice(0)) release();
  assert.equal(await metricUntil(origin, "ringside_notify_sent_total", (v) => v === 10), 10);
  assert.match(server.output(), /notice dropped: queue full/);
});

Deno.test(`notify: SIGTERM gives the queue the drain window (${testRuntime})`, async () => {
  await using receiver = startReceiver({
    answer: (_, index) => new Response(null, { status: index === 0 ? 503 : 200 }),
  });
  const server = await startServer({
    // A retry an hour away: only the drain can make it happen before the server exits.
    args: ["--notify", receiver.url, "--notify-retry", "1h", "--drain-timeout", "10s"],
  });
  await using _server = server;
  await runJob(server.origin, "before-stop");
  await postOk(`${server.origin}/api/v1/jobs/still-running`, { progress: 5 });
  await metricUntil(server.origin, "ringside_notify_retrying", (v) => v === 1);
  assert.equal(await server.stop("SIGTERM"), 0);
  // The waiting retry went at once, and the job the shutdown failed was notified too.
  const names = receiver.deliveries.map((d) => `${d.json.name}:${d.json.state}`);
  assert.deepEqual(names.sort(), [
    "before-stop:success",
    "before-stop:success",
    "still-running:failed",
  ]);
  assert.match(server.output(), /notices drained/);
});

Deno.test(`notify: a target that is not http(s) is refused at start-up (${testRuntime})`, async () => {
  const output = await ringsideCli({
    args: ["serve", "--port", "0", "--notify", "file:///etc/passwd"],
  }).output();
  assert.equal(output.code, 2);
  assert.match(new TextDecoder().decode(output.stderr), /an http:\/\/ or https:\/\/ URL/);
});
