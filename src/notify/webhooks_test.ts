import assert from "node:assert/strict";
import { VERSION } from "../version.ts";
import { Webhooks } from "./webhooks.ts";
import { hmacHex } from "../../tests/_hmac.ts";

/** One request as the receiver saw it. */
interface Received {
  body: string;
  headers: Headers;
}

/**
 * A real HTTP receiver on 127.0.0.1: `answer` decides each response (it may wait). Every
 * request is recorded; `next()` resolves with the next one to arrive.
 */
function receiver(
  answer: (received: Received, index: number) => Response | Promise<Response> = () =>
    new Response(null, { status: 204 }),
  port = 0,
) {
  const received: Received[] = [];
  const waiters: ((received: Received) => void)[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port, onListen() {} }, async (request) => {
    const entry = { body: await request.text(), headers: request.headers };
    const index = received.push(entry) - 1;
    waiters.shift()?.(entry);
    return await answer(entry, index);
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/hook`,
    port: server.addr.port,
    received,
    next: () => new Promise<Received>((resolve) => waiters.push(resolve)),
    /** Resolves once `count` requests have arrived. */
    async count(count: number): Promise<void> {
      while (received.length < count) await new Promise<Received>((r) => waiters.push(r));
    },
    close: () => server.shutdown(),
  };
}

Deno.test("webhooks: the exact body, its headers, and a signature the receiver can check", async () => {
  const checked: boolean[] = [];
  const target = receiver(async ({ body, headers }) => {
    const expected = `sha256=${await hmacHex("s3cret", new TextEncoder().encode(body))}`;
    checked.push(headers.get("x-ringside-signature") === expected);
    return new Response("ok");
  });
  const hooks = new Webhooks([target.url], { secret: "s3cret" });
  hooks.notify(() => '{"event":"end","text":"✓ é"}');
  await hooks.drain(10_000);
  await target.close();
  const [got] = target.received;
  assert.equal(got!.body, '{"event":"end","text":"✓ é"}');
  assert.equal(got!.headers.get("content-type"), "application/json");
  assert.equal(got!.headers.get("user-agent"), `ringside/${VERSION}`);
  assert.match(got!.headers.get("x-ringside-delivery")!, /^[0-9a-f-]{36}$/);
  assert.deepEqual(checked, [true]);
  assert.deepEqual(hooks.stats(), { sent: 1, failed: 0, dropped: 0, queued: 0, retrying: 0 });
});

Deno.test("webhooks: no secret, no signature header", async () => {
  const target = receiver();
  const hooks = new Webhooks([target.url]);
  hooks.notify(() => "{}");
  await hooks.drain(10_000);
  await target.close();
  assert.equal(target.received[0]!.headers.get("x-ringside-signature"), null);
});

Deno.test("webhooks: a 500 then a 429 are retried with the same delivery id", async () => {
  const target = receiver((_, index) =>
    new Response(null, { status: index === 0 ? 500 : index === 1 ? 429 : 200 })
  );
  const hooks = new Webhooks([target.url], { retry: [10, 10, 10] });
  hooks.notify(() => "{}");
  await target.count(3);
  const ids = target.received.map((r) => r.headers.get("x-ringside-delivery"));
  assert.equal(new Set(ids).size, 1);
  await hooks.drain(10_000);
  await target.close();
  assert.deepEqual(hooks.stats(), { sent: 1, failed: 0, dropped: 0, queued: 0, retrying: 0 });
});

Deno.test("webhooks: retries spent, the delivery is given up and logged with the origin only", async () => {
  const logged: [string, Record<string, unknown> | undefined][] = [];
  const target = receiver(() => new Response(null, { status: 503 }));
  const hooks = new Webhooks([`${target.url}/SECRET-PATH`], {
    retry: [5, 5],
    log: (message, fields) => logged.push([message, fields]),
  });
  hooks.notify(() => "{}");
  await target.count(3);
  // Let the third answer be handled before draining (a drain would give it up itself).
  await until(() => hooks.stats().failed === 1);
  await hooks.drain(10_000);
  await target.close();
  assert.equal(target.received.length, 3);
  assert.deepEqual(hooks.stats(), { sent: 0, failed: 1, dropped: 0, queued: 0, retrying: 0 });
  const [message, fields] = logged[0]!;
  assert.equal(message, "notice failed");
  assert.equal(fields!.target, new URL(target.url).origin);
  assert.equal(fields!.attempts, 3);
  assert.equal(fields!.reason, "HTTP 503");
  assert.equal(JSON.stringify(logged).includes("SECRET-PATH"), false);
});

Deno.test("webhooks: a 4xx or a redirect is not retried", async () => {
  for (const status of [400, 404, 302]) {
    const target = receiver(() =>
      new Response(null, { status, headers: status === 302 ? { location: "/elsewhere" } : {} })
    );
    const hooks = new Webhooks([target.url], { retry: [5, 5] });
    hooks.notify(() => "{}");
    await until(() => hooks.stats().queued === 0);
    await hooks.drain(1000);
    await target.close();
    assert.equal(target.received.length, 1, `status ${status}`);
    assert.equal(hooks.stats().failed, 1);
  }
});

Deno.test("webhooks: a receiver down at first and up later gets the notice", async () => {
  const first = receiver();
  const port = first.port;
  await first.close();
  const hooks = new Webhooks([`http://127.0.0.1:${port}/hook`], {
    retry: [20, 50, 100, 200, 400, 800],
  });
  hooks.notify(() => '{"n":1}');
  // Refused at least once: the notice waits to be retried.
  await retrying(hooks);
  const later = receiver(undefined, port);
  const got = await later.next();
  assert.equal(got.body, '{"n":1}');
  await hooks.drain(10_000);
  await later.close();
  assert.deepEqual(hooks.stats(), { sent: 1, failed: 0, dropped: 0, queued: 0, retrying: 0 });
});

/** Resolves once a delivery waits for a retry (an attempt failed). */
function retrying(hooks: Webhooks): Promise<void> {
  return until(() => hooks.stats().retrying > 0);
}

/** Resolves once `condition` holds (checked every few ms: counters have no event). */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

Deno.test("webhooks: a receiver that hangs is timed out and retried; another target is not held up", async () => {
  const release: (() => void)[] = [];
  const hanging = receiver(() =>
    new Promise<Response>((resolve) => release.push(() => resolve(new Response(null))))
  );
  const healthy = receiver();
  const hooks = new Webhooks([hanging.url, healthy.url], {
    timeout: 100,
    retry: [10],
    concurrency: 1,
  });
  hooks.notify(() => '{"n":1}');
  hooks.notify(() => '{"n":2}');
  // The healthy target has both while the hanging one still holds the first.
  await until(() => hooks.stats().sent === 2);
  assert.equal(healthy.received.length, 2);
  // The first notice timed out; the second went meanwhile (its turn), then the first again,
  // under the same delivery id.
  await hanging.count(3);
  const [first, other, again] = hanging.received;
  assert.deepEqual([first!.body, other!.body, again!.body], ['{"n":1}', '{"n":2}', '{"n":1}']);
  assert.equal(
    first!.headers.get("x-ringside-delivery"),
    again!.headers.get("x-ringside-delivery"),
  );
  assert.notEqual(
    first!.headers.get("x-ringside-delivery"),
    other!.headers.get("x-ringside-delivery"),
  );
  await hooks.drain(10_000);
  for (const resolve of release) resolve();
  await Promise.all([hanging.close(), healthy.close()]);
  // Each notice to the hanging target: two attempts timed out, then given up.
  assert.deepEqual(hooks.stats(), { sent: 2, failed: 2, dropped: 0, queued: 0, retrying: 0 });
});

Deno.test("webhooks: 1,000 notices in a burst, none lost below the queue's size", async () => {
  const target = receiver();
  const hooks = new Webhooks([target.url], { queue: 1000 });
  for (let i = 0; i < 1000; i++) hooks.notify(() => JSON.stringify({ i }));
  await target.count(1000);
  await hooks.drain(10_000);
  await target.close();
  const seen = new Set(target.received.map((r) => JSON.parse(r.body).i));
  assert.equal(seen.size, 1000);
  assert.deepEqual(hooks.stats(), { sent: 1000, failed: 0, dropped: 0, queued: 0, retrying: 0 });
});

Deno.test("webhooks: past the queue's size, notices are dropped and counted; held ones go", async () => {
  const release: (() => void)[] = [];
  const target = receiver(() =>
    new Promise<Response>((resolve) => release.push(() => resolve(new Response(null))))
  );
  const logged: string[] = [];
  const hooks = new Webhooks([target.url], {
    queue: 10,
    concurrency: 2,
    log: (message) => logged.push(message),
  });
  const taken = Array.from({ length: 30 }, (_, i) => hooks.notify(() => `{"i":${i}}`));
  assert.equal(taken.filter(Boolean).length, 10);
  assert.deepEqual(hooks.stats(), { sent: 0, failed: 0, dropped: 20, queued: 10, retrying: 0 });
  assert.deepEqual(logged, ["notice dropped: queue full"]);
  await target.count(2);
  while (target.received.length < 10) {
    for (const resolve of release.splice(0)) resolve();
    await target.next();
  }
  for (const resolve of release.splice(0)) resolve();
  await hooks.drain(10_000);
  await target.close();
  assert.deepEqual(hooks.stats(), { sent: 10, failed: 0, dropped: 20, queued: 0, retrying: 0 });
});

Deno.test("webhooks: a drain tries waiting retries at once, then gives up what is left", async () => {
  const target = receiver(() => new Response(null, { status: 500 }));
  const logged: [string, Record<string, unknown> | undefined][] = [];
  // A retry an hour away: only the drain can make it happen in this test.
  const hooks = new Webhooks([target.url], {
    retry: [3_600_000, 3_600_000],
    log: (message, fields) => logged.push([message, fields]),
  });
  hooks.notify(() => "{}");
  await target.count(1);
  await retrying(hooks);
  assert.equal(target.received.length, 1);
  await hooks.drain(10_000);
  await target.close();
  // First attempt, then the drain's: the rest of the schedule without waiting.
  assert.equal(target.received.length, 3);
  assert.deepEqual(hooks.stats(), { sent: 0, failed: 1, dropped: 0, queued: 0, retrying: 0 });
  assert.equal(hooks.notify(() => "{}"), false, "closed after the drain");
});

Deno.test("webhooks: a drain's time up aborts attempts in flight and counts them", async () => {
  const release: (() => void)[] = [];
  const target = receiver(() =>
    new Promise<Response>((resolve) => release.push(() => resolve(new Response(null))))
  );
  const logged: [string, Record<string, unknown> | undefined][] = [];
  const hooks = new Webhooks([target.url], {
    concurrency: 1,
    log: (message, fields) => logged.push([message, fields]),
  });
  hooks.notify(() => "{}");
  hooks.notify(() => "{}");
  await target.count(1);
  await hooks.drain(50);
  await until(() => hooks.stats().queued === 0);
  for (const resolve of release) resolve();
  await target.close();
  assert.deepEqual(hooks.stats(), { sent: 0, failed: 2, dropped: 0, queued: 0, retrying: 0 });
  assert.deepEqual(logged, [["notices undelivered at shutdown", { count: 2 }]]);
});

Deno.test("webhooks: a notice whose body cannot be built is given up, nothing sent", async () => {
  const target = receiver();
  const hooks = new Webhooks([target.url]);
  hooks.notify(() => {
    throw new Error("no body");
  });
  await hooks.drain(1000);
  await target.close();
  assert.equal(target.received.length, 0);
  assert.deepEqual(hooks.stats(), { sent: 0, failed: 1, dropped: 0, queued: 0, retrying: 0 });
});
