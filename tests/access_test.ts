// End-to-end: tokens, JWTs, --private and watch links on a real server (bun, deno or the binary:
// RINGSIDE_TEST_RUNTIME), with real curl where its exit code or its log is the point.
import assert from "node:assert/strict";
import { sign } from "hono/jwt";
import { curl } from "./_curl.ts";
import { startRedis } from "./_redis.ts";
import { expectedWatchId, ringsideCli, startServer, testRuntime } from "./_server.ts";
import { openSse, readSse, type SseEvent, waitForPipe } from "./_sse.ts";

const TOKEN = "tok-3f9a1c7e5b";
const JWT_SECRET = "jwt-secret-8d2e";
const SECRET = "watch-secret-41b7";

const now = () => Math.floor(Date.now() / 1000);
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** A `curl -T -` sender that waits until `finish(bytes)` writes its body. */
function liveSender(url: string, token: string) {
  const sender = curl("-T", "-", "-H", `Authorization: Bearer ${token}`, url);
  return {
    async finish(bytes: Uint8Array) {
      await sender.stdin.write(bytes);
      await sender.stdin.close();
      return await sender.result;
    },
  };
}

Deno.test(`without access flags everything stays open (${testRuntime})`, async (t) => {
  await using server = await startServer();
  const url = `${server.origin}/api/v1/pipe/open-pipe`;

  await t.step("send and receive need no token; a token is ignored", async () => {
    const sender = curl("-T", "-", "-H", "Authorization: Bearer whatever", url);
    await sender.stdin.write(new TextEncoder().encode("open"));
    await sender.stdin.close();
    const received = await curl(url).result;
    const sent = await sender.result;
    assert.equal(received.stdout, "open");
    assert.equal(sent.code, 0, sent.stderr);
    assert.match(sent.stdout, /^\[INFO\] Watch: http:\/\/127\.0\.0\.1:\d+\/w\/[\w-]{22}$/m);
  });

  await t.step("spectating, stats and help need no token", async () => {
    const json = await fetch(`${url}?progress`, { headers: { accept: "application/json" } });
    assert.equal((await json.json()).state, "complete");
    for (const path of ["/help", "/metrics", "/healthz"]) {
      const res = await fetch(server.origin + path);
      assert.equal(res.status, 200, path);
      await res.body?.cancel();
    }
  });
});

Deno.test(`--token guards sending, not receiving (${testRuntime})`, async (t) => {
  await using server = await startServer({
    args: ["--token", "other-token"],
    env: { RINGSIDE_TOKEN: "unused" },
  });
  // The flag replaced the environment's list: only other-token is accepted. A second server
  // below takes the list from the environment.
  await using envServer = await startServer({ env: { RINGSIDE_TOKEN: `a-token, ${TOKEN}` } });
  const url = `${envServer.origin}/api/v1/pipe/guarded`;

  await t.step("no token: 401 with a one-line reason and WWW-Authenticate", async () => {
    const res = await fetch(url, { method: "PUT", body: "x" });
    assert.equal(res.status, 401);
    assert.equal(res.headers.get("www-authenticate"), "Bearer");
    assert.equal(await res.text(), "Missing token (send Authorization: Bearer TOKEN)\n");
    const json = await fetch(url, {
      method: "POST",
      body: "x",
      headers: { accept: "application/json" },
    });
    assert.deepEqual(await json.json(), {
      error: "Missing token (send Authorization: Bearer TOKEN)",
    });
  });

  await t.step("a wrong token, or a right one in the query of a PUT: 401", async () => {
    const wrong = await fetch(url, { method: "PUT", body: "x", headers: bearer("nope") });
    assert.equal(wrong.status, 401);
    assert.match(wrong.headers.get("www-authenticate")!, /^Bearer error="invalid_token"/);
    assert.equal(await wrong.text(), "Invalid token\n");
    const prefix = await fetch(url, {
      method: "PUT",
      body: "x",
      headers: bearer(TOKEN.slice(0, -1)),
    });
    assert.equal(prefix.status, 401);
    await prefix.body?.cancel();
    const query = await fetch(`${url}?token=${TOKEN}`, { method: "PUT", body: "x" });
    assert.equal(query.status, 401);
    assert.match(await query.text(), /\?token= is accepted on GET only/);
    const short = await fetch(`${envServer.origin}/guarded`, { method: "PUT", body: "x" });
    assert.equal(short.status, 401, "the short form is guarded too");
    await short.body?.cancel();
  });

  await t.step("curl with the token sends; the receiver needs none", async () => {
    const sender = curl("-T", "-", "-H", `Authorization: Bearer ${TOKEN}`, url);
    await sender.stdin.write(new TextEncoder().encode("guarded bytes"));
    await sender.stdin.close();
    const received = await curl("-f", url).result;
    const sent = await sender.result;
    assert.equal(received.stdout, "guarded bytes");
    assert.equal(sent.code, 0, sent.stderr);
    const spectate = await fetch(`${url}?progress`, { headers: { accept: "application/json" } });
    assert.equal((await spectate.json()).state, "complete");
  });

  await t.step("a curl without the token fails (exit code 22 with -f)", async () => {
    const sender = curl("-f", "-T", "-", url);
    await sender.stdin.write(new TextEncoder().encode("unwanted"));
    await sender.stdin.close();
    const result = await sender.result;
    assert.equal(result.code, 22);
    assert.match(result.stderr, /401/);
  });

  await t.step("a large upload without the token is refused at once, not read", async () => {
    const file = await Deno.makeTempFile({ prefix: "ringside-access-" });
    await Deno.writeFile(file, new Uint8Array(32 * 1024 * 1024));
    const result = await curl("-f", "-T", file, url).result;
    await Deno.remove(file);
    assert.equal(result.code, 22);
    assert.match(result.stderr, /401/);
    const snapshot = await (await fetch(`${url}?progress&format=json`)).json();
    assert.notEqual(snapshot.state, "waiting", "the refused sender never reached the pipe");
  });

  await t.step("a flag replaces the environment's list", async () => {
    const res = await fetch(`${server.origin}/api/v1/pipe/x`, {
      method: "PUT",
      body: "x",
      headers: bearer("unused"),
    });
    assert.equal(res.status, 401);
    await res.body?.cancel();
  });
});

Deno.test(`--jwt-secret: signed tokens, scope and expiry (${testRuntime})`, async (t) => {
  await using server = await startServer({ args: ["--jwt-secret", JWT_SECRET] });
  const pipe = (name: string) => `${server.origin}/api/v1/pipe/${name}`;

  async function sendWith(name: string, token: string) {
    const sender = curl("-f", "-T", "-", "-H", `Authorization: Bearer ${token}`, pipe(name));
    await sender.stdin.write(new TextEncoder().encode(name));
    await sender.stdin.close();
    return sender;
  }

  await t.step("a JWT signed with the secret is accepted", async () => {
    const token = await sign({ sub: "ci", exp: now() + 600 }, JWT_SECRET);
    const sender = await sendWith("jwt-ok", token);
    const received = await curl("-f", pipe("jwt-ok")).result;
    assert.equal(received.stdout, "jwt-ok");
    assert.equal((await sender.result).code, 0);
  });

  await t.step("signed with another secret, or not a JWT at all: 401", async () => {
    for (const token of [await sign({ sub: "x" }, "another-secret"), "a.b.c", "plain"]) {
      const res = await fetch(pipe("jwt-bad"), {
        method: "PUT",
        body: "x",
        headers: bearer(token),
      });
      assert.equal(res.status, 401);
      assert.equal(await res.text(), "Invalid token\n");
    }
  });

  await t.step("an expired JWT: 401 Token expired", async () => {
    const token = await sign({ exp: now() - 10 }, JWT_SECRET);
    const res = await fetch(pipe("jwt-old"), { method: "PUT", body: "x", headers: bearer(token) });
    assert.equal(res.status, 401);
    assert.equal(await res.text(), "Token expired\n");
  });

  await t.step("scope: outside 403, inside ok", async () => {
    const token = await sign({ scope: ["job:ci", "pipe:backup-*"] }, JWT_SECRET);
    const outside = await fetch(pipe("other"), {
      method: "PUT",
      body: "x",
      headers: bearer(token),
    });
    assert.equal(outside.status, 403);
    assert.match(outside.headers.get("www-authenticate")!, /insufficient_scope/);
    assert.equal(await outside.text(), "Token scope does not cover 'pipe:other'\n");
    const sender = await sendWith("backup-db", token);
    assert.equal((await curl("-f", pipe("backup-db")).result).stdout, "backup-db");
    assert.equal((await sender.result).code, 0);
  });

  await t.step("a malformed scope claim: 401", async () => {
    const token = await sign({ scope: [1, 2] }, JWT_SECRET);
    const res = await fetch(pipe("backup-x"), { method: "PUT", body: "x", headers: bearer(token) });
    assert.equal(res.status, 401);
    assert.match(await res.text(), /Invalid scope claim/);
  });
});

Deno.test(`--private: receiving and spectating need a token (${testRuntime})`, async (t) => {
  await using server = await startServer({
    args: ["--private", "--token", TOKEN, "--jwt-secret", JWT_SECRET, "--secret", SECRET],
  });
  const name = "private-name-7c1";
  const url = `${server.origin}/api/v1/pipe/${name}`;
  const jwt = await sign({ scope: ["pipe:private-*"], exp: now() + 600 }, JWT_SECRET);

  await t.step("receive and spectate without a token: 401", async () => {
    for (const target of [url, `${url}?progress`, `/${name}`, "/api/v1/stats"]) {
      const full = target.startsWith("/") ? server.origin + target : target;
      const res = await fetch(full, { headers: { accept: "application/json" } });
      assert.equal(res.status, 401, target);
      assert.equal(res.headers.get("www-authenticate"), "Bearer");
      await res.body?.cancel();
    }
  });

  await t.step("?token= works for SSE, the header for JSON, a JWT for both", async () => {
    const sse = await openSse(`${url}?progress&token=${TOKEN}`);
    const record = await readSse(sse.body!, (event) => event.type === "state");
    assert.equal(JSON.parse(record.events[0]!.data).state, "idle");
    const json = await fetch(`${url}?progress`, {
      headers: { accept: "application/json", ...bearer(jwt) },
    });
    assert.equal((await json.json()).name, name);
    const wrong = await fetch(`${url}?progress&token=wrong`);
    assert.equal(wrong.status, 401);
    await wrong.body?.cancel();
  });

  await t.step("a page opened with ?token= never prints the token", async () => {
    const page = await fetch(`${url}?progress&token=${TOKEN}`, {
      headers: { accept: "text/html" },
    });
    const html = await page.text();
    assert.equal(page.status, 200);
    assert.ok(!html.includes(TOKEN), "the token is in the page");
  });

  await t.step("a scoped JWT may not read the server-wide stats", async () => {
    const res = await fetch(`${server.origin}/api/v1/stats`, { headers: bearer(jwt) });
    assert.equal(res.status, 403);
    await res.body?.cancel();
  });

  let watch = "";
  await t.step("the sender's log prints the watch link; it works without a token", async () => {
    const sender = liveSender(url, TOKEN);
    // --secret is given: the test knows the link before the server prints it.
    const id = await expectedWatchId(SECRET, "pipe", name);
    watch = `${server.origin}/w/${id}`;
    await waitForPipeWithToken(server.origin, name, 0);
    const snapshot = await (await fetch(watch, { headers: { accept: "application/json" } })).json();
    assert.equal(snapshot.name, id);
    assert.equal(snapshot.state, "waiting");

    const events = await openSse(watch);
    const receiver = curl("-f", "-H", `Authorization: Bearer ${TOKEN}`, url);
    await waitForPipeWithToken(server.origin, name, 1);
    const [sent, received, record] = await Promise.all([
      sender.finish(new TextEncoder().encode("private bytes")),
      receiver.result,
      readSse(events.body!),
    ]);
    assert.equal(received.stdout, "private bytes");
    assert.equal(sent.code, 0, sent.stderr);
    assert.equal(/^\[INFO\] Watch: (\S+)$/m.exec(sent.stdout)?.[1], watch);
    const types = record.events.map((event) => event.type);
    assert.equal(types.at(-1), "done");
    for (const event of record.events) {
      assert.equal(JSON.parse(event.data).name, id);
      assert.ok(!event.data.includes(name), event.data);
    }
  });

  await t.step("a watch link serves the dashboard without the name", async () => {
    const page = await fetch(watch, { headers: { accept: "text/html" } });
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-type")!, /text\/html/);
    const html = await page.text();
    assert.ok(!html.includes(name), "the page never shows the name");
    assert.ok(html.includes(new URL(watch).pathname));
  });

  await t.step("tokens never appear in the server's output or /metrics", async () => {
    const metrics = await (await fetch(`${server.origin}/metrics`)).text();
    for (const secret of [TOKEN, jwt, JWT_SECRET, SECRET]) {
      assert.ok(!server.output().includes(secret), "a secret in the server's log");
      assert.ok(!metrics.includes(secret), "a secret in /metrics");
    }
  });
});

/** Waits until the waiting pipe has `receivers` receivers, watching with the token. */
async function waitForPipeWithToken(origin: string, name: string, receivers: number) {
  const res = await openSse(`${origin}/api/v1/pipe/${name}?progress&token=${TOKEN}`);
  await readSse(res.body!, (event) => {
    const snapshot = JSON.parse(event.data);
    return snapshot.state === "waiting" && snapshot.receivers === receivers;
  });
}

Deno.test(`a JWT's exp ends the SSE stream it opened (${testRuntime})`, async () => {
  await using server = await startServer({ args: ["--private", "--jwt-secret", JWT_SECRET] });
  const token = await sign({ exp: now() + 2 }, JWT_SECRET);
  const url = `${server.origin}/api/v1/pipe/expiring?progress&token=${token}`;
  const res = await openSse(url);
  // The pipe stays idle: nothing but the token's expiry can end this stream.
  const record = await readSse(res.body!);
  assert.deepEqual(record.events.map((event) => event.type), ["state"]);
  const again = await fetch(url);
  assert.equal(again.status, 401);
  assert.deepEqual(await again.json(), { error: "Token expired" });
});

Deno.test(`a watch link only watches (${testRuntime})`, async (t) => {
  await using server = await startServer({ args: ["--token", TOKEN, "--secret", SECRET] });
  const name = "watched-name-5e2";
  const url = `${server.origin}/api/v1/pipe/${name}`;
  const sender = liveSender(url, TOKEN);
  const watch = `${server.origin}/w/${await expectedWatchId(SECRET, "pipe", name)}`;
  await waitForPipe(server.origin, name, (s) => s.state === "waiting");

  await t.step("PUT, POST, DELETE, PATCH: 405 with Allow", async () => {
    for (const method of ["PUT", "POST", "DELETE", "PATCH"]) {
      const res = await fetch(watch, {
        method,
        body: method === "DELETE" ? null : "x",
        headers: bearer(TOKEN),
      });
      assert.equal(res.status, 405, method);
      assert.equal(res.headers.get("allow"), "GET, HEAD, OPTIONS");
      assert.ok(!(await res.text()).includes(name));
    }
  });

  await t.step("a GET never receives the bytes: it spectates, ?n= or not", async () => {
    for (const query of ["", "?n=1", "?format=json"]) {
      const res = await fetch(watch + query, { headers: { accept: "application/json" } });
      const snapshot = await res.json();
      assert.equal(snapshot.kind, "pipe", query);
      assert.equal(snapshot.receivers, 0, "the watcher took no receiver slot");
    }
    const head = await fetch(watch, { method: "HEAD" });
    assert.equal(head.status, 200);
    await head.body?.cancel();
  });

  await t.step("an unknown or malformed id: 404", async () => {
    for (const path of ["/w/AAAAAAAAAAAAAAAAAAAAAA", "/w/short", `/w/${name}`, "/w/x/y"]) {
      const res = await fetch(server.origin + path, { headers: { accept: "application/json" } });
      assert.equal(res.status, 404, path);
      await res.body?.cancel();
    }
  });

  await t.step("the pipe still works for its real receiver", async () => {
    const receiver = curl("-f", url);
    await waitForPipe(server.origin, name, (s) => s.receivers === 1);
    const [sent, received] = await Promise.all([
      sender.finish(new TextEncoder().encode("still mine")),
      receiver.result,
    ]);
    assert.equal(received.stdout, "still mine");
    assert.equal(sent.code, 0);
    assert.match(sent.stdout, new RegExp(`^\\[INFO\\] Watch: ${watch}$`, "m"));
  });

  await t.step("after the end, the link gives the retained run's terminal event", async () => {
    const record = await readSse((await openSse(watch)).body!);
    assert.deepEqual(record.events.map((event) => event.type), ["done"]);
    assert.ok(!record.events[0]!.data.includes(name));
  });
});

Deno.test(`a watch link works on every node joined through Redis (${testRuntime})`, async () => {
  await using redis = await startRedis();
  // No --secret: the nodes share the one the first of them stored in Redis.
  await using owner = await startServer({ args: ["--redis", redis.url, "--node", "a"] });
  await using other = await startServer({ args: ["--redis", redis.url, "--node", "b"] });
  const name = "cluster-name-9d4";
  const url = `${owner.origin}/api/v1/pipe/${name}`;

  async function transfer(body: string) {
    const sender = liveSender(url, "unused");
    const receiver = curl("-f", url);
    const [sent, received] = await Promise.all([
      sender.finish(new TextEncoder().encode(body)),
      receiver.result,
    ]);
    assert.equal(received.stdout, body);
    assert.equal(sent.code, 0, sent.stderr);
    return sent.stdout;
  }

  const log = await transfer("first run");
  const id = /\[INFO\] Watch: http:\/\/\S+\/w\/([\w-]{22})$/m.exec(log)![1]!;
  const link = `${other.origin}/w/${id}`;

  const snapshot = await (await fetch(link, { headers: { accept: "application/json" } })).json();
  assert.equal(snapshot.state, "complete");
  assert.equal(snapshot.name, id);

  // A second run of the name has the same link; the other node follows it live.
  const second = liveSender(url, "unused");
  // A spectator of the ended run gets its terminal event and is closed: ask until the new run.
  for (let tries = 0;; tries++) {
    const found = await waitForPipe(owner.origin, name, (s) => s.state === "waiting")
      .catch((error) => {
        if (tries > 200) throw error;
        return null;
      });
    if (found) break;
  }
  const events = await openSse(link);
  const receiver = curl("-f", url);
  const [sent, , record] = await Promise.all([
    second.finish(new TextEncoder().encode("second run")),
    receiver.result,
    readSse(events.body!),
  ]);
  assert.equal(sent.code, 0);
  // The new run, live: its waiting state first (not the old run's terminal), then its end.
  assert.equal(record.events[0]?.type, "state", JSON.stringify(record.events));
  assert.equal(record.events.at(-1)?.type, "done");
  for (const event of record.events) assert.ok(!event.data.includes(name), event.data);
});

Deno.test(`jobs: tokens, scope and watch links (${testRuntime})`, async (t) => {
  await using server = await startServer({
    args: ["--token", TOKEN, "--jwt-secret", JWT_SECRET, "--secret", SECRET],
  });
  const job = (id: string, sub = "") => `${server.origin}/api/v1/jobs/${id}${sub}`;
  const post = (url: string, body: unknown, token?: string) =>
    fetch(url, {
      method: "POST",
      body: JSON.stringify(body),
      headers: { "content-type": "application/json", ...(token ? bearer(token) : {}) },
    });

  await t.step("start, publish, finish need a token", async () => {
    for (const sub of ["", "/progress", "/finish"]) {
      const res = await post(job("ci/build-1", sub), { ok: true });
      assert.equal(res.status, 401, sub);
      await res.body?.cancel();
    }
  });

  let watch = "";
  await t.step("with a token: 201 and a watch link that hides the id", async () => {
    const res = await post(job("ci/build-1"), { progress: 10 }, TOKEN);
    assert.equal(res.status, 201);
    const started = await res.json();
    watch = started.watch;
    const id = await expectedWatchId(SECRET, "job", "ci/build-1");
    assert.equal(watch, `${server.origin}/w/${id}`);
    const snapshot = await (await fetch(watch, { headers: { accept: "application/json" } }))
      .json();
    assert.equal(snapshot.id, id);
    assert.equal(snapshot.state, "running");
    const events = await openSse(watch);
    const published = await post(job("ci/build-1", "/progress"), { progress: 50 }, TOKEN);
    assert.ok(published.ok, String(published.status));
    await published.body?.cancel();
    const finished = await post(job("ci/build-1", "/finish"), { ok: true }, TOKEN);
    await finished.body?.cancel();
    const record = await readSse(events.body!);
    assert.equal(record.events.at(-1)?.type, "complete");
    for (const event of record.events) assert.ok(!event.data.includes("ci/build-1"), event.data);
    const progress = record.events.find((event) => event.type === "progress");
    if (progress) assert.equal(JSON.parse(progress.data).task_id, id);
  });

  await t.step("a watch link never publishes", async () => {
    const res = await post(watch, { progress: 99 }, TOKEN);
    assert.equal(res.status, 405);
    await res.body?.cancel();
  });

  await t.step("a JWT scoped to job:ci/ starts ci/… jobs, not others", async () => {
    const jwt = await sign({ scope: ["job:ci/"] }, JWT_SECRET);
    const inside = await post(job("ci/build-2"), {}, jwt);
    assert.equal(inside.status, 201);
    await inside.body?.cancel();
    const outside = await post(job("deploy/prod"), {}, jwt);
    assert.equal(outside.status, 403);
    assert.deepEqual(await outside.json(), {
      error: "Token scope does not cover 'job:deploy/prod'",
    });
  });
});

Deno.test(`processes: ringside run needs the token and prints the watch link (${testRuntime})`, async () => {
  await using server = await startServer({ args: ["--token", TOKEN, "--secret", SECRET] });
  const run = (token: string | null, id: string) =>
    ringsideCli({
      args: [
        "run",
        "--server",
        server.origin,
        "--id",
        id,
        ...(token ? ["--token", token] : []),
        "--",
        "echo",
        "hello",
      ],
      env: { RINGSIDE_TOKEN: "" },
    }).output();

  const refused = await run(null, "proc-refused");
  assert.equal(refused.code, 0, "the command runs anyway");
  assert.match(new TextDecoder().decode(refused.stderr), /nobody can watch/);

  const allowed = await run(TOKEN, "proc-ok");
  const stderr = new TextDecoder().decode(allowed.stderr);
  assert.equal(allowed.code, 0, stderr);
  const id = await expectedWatchId(SECRET, "process", "proc-ok");
  assert.match(stderr, new RegExp(`watch link ${server.origin}/w/${id}`));
  const snapshot = await (await fetch(`${server.origin}/w/${id}`, {
    headers: { accept: "application/json" },
  })).json();
  assert.equal(snapshot.id, id);
  assert.ok(!JSON.stringify(snapshot).includes("proc-ok"));
});

/** A watch link's JSON snapshot, or `null` while the link does not resolve. */
async function linkJson(link: string): Promise<Record<string, unknown> | null> {
  const response = await fetch(link, { headers: { accept: "application/json" } });
  return response.ok ? await response.json() : (await response.body?.cancel(), null);
}

/**
 * Asks a watch link for its JSON snapshot until `predicate` holds (at most `tries` times, 50 ms
 * apart; a link not resolved yet counts as `null`) and returns that snapshot.
 */
async function linkJsonUntil(
  link: string,
  predicate: (snapshot: Record<string, unknown> | null) => boolean,
  what: string,
  tries = 400,
): Promise<Record<string, unknown>> {
  for (let attempt = 0;; attempt++) {
    const snapshot = await linkJson(link);
    if (predicate(snapshot)) return snapshot!;
    assert.ok(attempt < tries, `${what}: node b still answers ${JSON.stringify(snapshot)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * An SSE spectator of `link`, holding its topic on that node; `seen` resolves at the first event
 * that matches. `close()` ends it.
 */
async function linkSpectator(link: string, match: (event: SseEvent) => boolean) {
  const abort = new AbortController();
  const events = await openSse(link, abort.signal);
  const { promise: seen, resolve } = Promise.withResolvers<void>();
  const followed = readSse(events.body!, (event) => {
    if (match(event)) resolve();
  }).catch(() => null);
  return {
    seen,
    async close() {
      abort.abort();
      await followed;
    },
  };
}

Deno.test(`a watch link's JSON on another node is the live state, not the one it first saw (${testRuntime})`, async () => {
  await using redis = await startRedis();
  const secret = "stale-json-secret";
  const cluster = ["--redis", redis.url, "--secret", secret, "--progress-interval", "20ms"];
  await using owner = await startServer({ args: [...cluster, "--node", "a"] });
  await using other = await startServer({ args: [...cluster, "--node", "b"] });
  const name = "stale-json";
  const url = `${owner.origin}/api/v1/pipe/${name}`;
  const link = `${other.origin}/w/${await expectedWatchId(secret, "pipe", name)}`;
  const receiver = curl("-f", url);
  await waitForPipe(owner.origin, name, (s) => s.receivers === 1);
  await linkJsonUntil(link, (s) => s?.state === "waiting", "the waiting pipe");
  // A spectator on node b holds the owner's topic there while the transfer runs.
  const spectator = await linkSpectator(link, (e) => JSON.parse(e.data).state === "streaming");
  const sender = curl("-T", "-", url);
  await sender.stdin.write(new TextEncoder().encode("part one, "));
  await spectator.seen;
  const live = await linkJson(link);
  assert.equal(live?.state, "streaming");
  await sender.stdin.write(new TextEncoder().encode("part two"));
  await sender.stdin.close();
  assert.equal((await sender.result).code, 0);
  assert.equal((await receiver.result).stdout, "part one, part two");
  await spectator.close();
});

Deno.test(`a process's watch link JSON on another node shows lines posted after it was first fetched (${testRuntime})`, async () => {
  await using redis = await startRedis();
  const secret = "stale-process-secret";
  const cluster = ["--redis", redis.url, "--secret", secret];
  await using owner = await startServer({ args: [...cluster, "--node", "a"] });
  await using other = await startServer({ args: [...cluster, "--node", "b"] });
  const name = "stale-process";
  const base = `${owner.origin}/api/v1/processes/${name}`;
  const post = async (path: string, body: string) => {
    const response = await fetch(`${base}/${path}`, { method: "POST", body });
    assert.ok(response.ok, String(response.status));
    await response.body?.cancel();
  };
  const link = `${other.origin}/w/${await expectedWatchId(secret, "process", name)}`;
  await post("status", JSON.stringify({ status: "running" }));
  await post("output", "first\n");
  await linkJsonUntil(link, (s) => s?.lines === 1, "the first line");
  // A spectator on node b holds the owner's topic there while more lines come.
  const spectator = await linkSpectator(
    link,
    (event) => event.type === "output" && JSON.parse(event.data).line === "second",
  );
  await post("output", "second\n");
  await spectator.seen;
  // The owner's record follows within its write interval: ask until it does.
  const snapshot = await linkJsonUntil(link, (s) => s?.lines === 2, "the second line", 100);
  const tail = snapshot.tail as { line: string }[];
  assert.deepEqual(tail.map((line) => line.line), ["first", "second"]);
  await post("status", JSON.stringify({ status: "exited", exitCode: 0 }));
  await spectator.close();
});

Deno.test(`a percent-encoded path is the same route, guarded the same way (${testRuntime})`, async (t) => {
  await using server = await startServer({
    args: ["--token", TOKEN, "--private", "--task", "s=true"],
  });
  const at = (path: string) => `${server.origin}${path}`;

  await t.step("the attacks of the report: all 401, nothing sent, run or read", async () => {
    const sender = liveSender(at("/api/v1/pipe/p"), TOKEN);
    await waitForPipe(server.origin, "p", (s) => s.state === "waiting", { token: TOKEN });
    const attempts: [string, string][] = [
      ["GET", "/api/v1/pip%65/p"],
      ["GET", "/%61pi/v1/pipe/p"],
      ["PUT", "/api/v1/pip%65/q"],
      ["POST", "/api/v1/proces%73es?task=s&id=t1"],
      ["POST", "/api/v1/processes/t2/outpu%74"],
      ["POST", "/api/v1/%6aobs/j"],
      ["GET", "/api/v1/st%61ts"],
      ["GET", "/api/v1/%70ipe/p?progress"],
    ];
    for (const [method, path] of attempts) {
      const res = await fetch(at(path), { method, body: method === "GET" ? null : "x" });
      const text = await res.text();
      assert.equal(res.status, 401, `${method} ${path}: ${text}`);
      assert.ok(!text.includes("SECRET"), path);
    }
    // Nothing above left a trace: no task ran, no job started.
    const stats = await (await fetch(at("/api/v1/stats"), { headers: bearer(TOKEN) })).json();
    assert.deepEqual([stats.jobs, stats.processes], [0, 0]);
    // Not awaited before the bytes come: a receiver's headers may wait for the first chunk.
    const received = fetch(at("/api/v1/pipe/p"), { headers: bearer(TOKEN) });
    const [result] = await Promise.all([
      sender.finish(new TextEncoder().encode("SECRET")),
      received.then(async (response) => assert.equal(await response.text(), "SECRET")),
    ]);
    assert.equal(result.code, 0);
  });

  await t.step("each character of a sender's path encoded in turn: 401 every time", async () => {
    const path = "/api/v1/pipe/p";
    for (let i = 1; i < path.length; i++) {
      if (path[i] === "/") continue;
      const hex = path.charCodeAt(i).toString(16);
      for (const code of [hex.toUpperCase(), hex.toLowerCase()]) {
        const spelled = `${path.slice(0, i)}%${code}${path.slice(i + 1)}`;
        const res = await fetch(at(spelled), { method: "PUT", body: "x" });
        assert.equal(res.status, 401, spelled);
        await res.body?.cancel();
      }
    }
  });
});

Deno.test(`--read-token receives and spectates, never writes (${testRuntime})`, async () => {
  const READ = "read-only-5c1e";
  await using server = await startServer({
    args: ["--token", TOKEN, "--read-token", READ, "--private", "--task", "s=true"],
  });
  const at = (path: string) => `${server.origin}${path}`;
  const start = await fetch(at("/api/v1/jobs/r"), { method: "POST", headers: bearer(TOKEN) });
  assert.equal(start.status, 201);
  await start.body?.cancel();
  const json = { ...bearer(READ), accept: "application/json" };
  const spectate = await fetch(at("/api/v1/jobs/r"), { headers: json });
  assert.equal((await spectate.json()).state, "running");
  const page = await fetch(at(`/api/v1/jobs/r?token=${READ}`), {
    headers: { accept: "text/html" },
  });
  assert.equal(page.status, 200);
  assert.ok(!(await page.text()).includes(READ), "the page prints the token it came with");
  const writes: [string, string][] = [
    ["POST", "/api/v1/jobs/r/progress"],
    ["POST", "/api/v1/jobs/r/finish"],
    ["PUT", "/api/v1/pipe/x"],
    ["POST", "/api/v1/processes?task=s"],
    ["DELETE", "/api/v1/processes/r"],
  ];
  for (const [method, path] of writes) {
    const res = await fetch(at(path), {
      method,
      headers: json,
      body: method === "DELETE" ? null : "{}",
    });
    assert.equal(res.status, 403, `${method} ${path}`);
    assert.deepEqual(await res.json(), { error: "A read-only token only receives and spectates" });
  }
  // A sender with the full token, a receiver with the read-only one.
  const sender = liveSender(at("/api/v1/pipe/shared"), TOKEN);
  const received = fetch(at("/api/v1/pipe/shared"), { headers: bearer(READ) });
  await sender.finish(new TextEncoder().encode("for readers"));
  assert.equal(await (await received).text(), "for readers");
});

Deno.test(`one rule for tokens: a wrong one is refused wherever it is presented (${testRuntime})`, async () => {
  await using server = await startServer({ args: ["--token", TOKEN] });
  const sse = await fetch(`${server.origin}/api/v1/pipe/open?progress&token=wrong`);
  assert.equal(sse.status, 401);
  await sse.body?.cancel();
  const hub = await fetch(`${server.origin}/api/v1/ws?token=wrong`, {
    headers: { upgrade: "websocket" },
  });
  assert.equal(hub.status, 401);
  await hub.body?.cancel();
  // Without a token both stay open on a server that is not --private.
  const open = await fetch(`${server.origin}/api/v1/pipe/open?progress`, {
    headers: { accept: "application/json" },
  });
  assert.equal(open.status, 200);
  await open.body?.cancel();
  // A proxy's own Basic credentials leave a ?token= in force.
  await using closed = await startServer({ args: ["--token", TOKEN, "--private"] });
  const behindProxy = await fetch(`${closed.origin}/api/v1/pipe/x?progress&token=${TOKEN}`, {
    headers: { authorization: "Basic dXNlcjpwYXNz", accept: "application/json" },
  });
  assert.equal(behindProxy.status, 200);
  await behindProxy.body?.cancel();
});

Deno.test(`a page on another site cannot start a task on an open server (${testRuntime})`, async () => {
  await using server = await startServer({ args: ["--task", "hello=true"] });
  const run = `${server.origin}/api/v1/processes?task=hello&id=csrf`;
  const foreign = await fetch(run, { method: "POST", headers: { origin: "http://evil.example" } });
  assert.equal(foreign.status, 403);
  assert.match((await foreign.json()).error, /Cross-site request refused/);
  const missing = await fetch(`${server.origin}/api/v1/processes/csrf`);
  assert.equal(missing.status, 404);
  await missing.body?.cancel();
  // The same request from the server's own pages, or from curl, runs it.
  const own = await fetch(run, { method: "POST", headers: { origin: server.origin } });
  assert.equal(own.status, 202);
  await own.body?.cancel();
});
