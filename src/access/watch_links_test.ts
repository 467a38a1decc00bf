import assert from "node:assert/strict";
import { PipeTopic } from "../pipe/pipe_topic.ts";
import { Spectator } from "../sse/spectator.ts";
import { hideName, watchId, watchKey, WatchLinks } from "./watch_links.ts";

Deno.test("watchId: 22 base64url characters of the HMAC, stable per secret", async () => {
  const key = await watchKey("k");
  const mac = new Uint8Array(
    await crypto.subtle.sign("HMAC", key, new TextEncoder().encode("pipe:a/b")),
  );
  const expected = btoa(String.fromCharCode(...mac)).replaceAll("+", "-").replaceAll("/", "_");
  assert.equal(await watchId(key, "pipe", "a/b"), expected.slice(0, 22));
  // A random secret per start: two starts give two ids.
  const [one, two] = [await watchKey(""), await watchKey("")];
  assert.notEqual(await watchId(one, "pipe", "a"), await watchId(two, "pipe", "a"));
});

Deno.test("WatchLinks: an entry forgotten before its id is computed never resolves", async () => {
  const links = new WatchLinks("s");
  links.add("job", "j");
  links.delete("job", "j");
  assert.equal(await links.resolve(await links.id("job", "j")), undefined);
  links.add("job", "j");
  assert.deepEqual(await links.resolve(await links.id("job", "j")), { kind: "job", name: "j" });
});

Deno.test("WatchLinks.hider: one function per id, shared encodings", async () => {
  const links = new WatchLinks("s");
  links.add("pipe", "p");
  const id = await links.id("pipe", "p");
  await links.resolve(id);
  assert.equal(links.hider(id, "p"), links.hider(id, "p"));
  assert.deepEqual(hideName({ name: "p", error: null }, "p", id), { name: id, error: null });
});

Deno.test("Spectator mapData: watch spectators get the id, others the name", async () => {
  const topic = new PipeTopic("secret-name");
  const hide = (data: unknown) => hideName(data, "secret-name", "W".repeat(22));
  const watcher = new Spectator(topic, { mapData: hide });
  const plain = new Spectator(topic);
  topic.fail("Sender disconnected");
  const [watched, direct] = await Promise.all([
    new Response(watcher.stream).text(),
    new Response(plain.stream).text(),
  ]);
  assert.ok(!watched.includes("secret-name"));
  assert.match(watched, /"name":"W{22}"/);
  assert.match(direct, /"name":"secret-name"/);
});

Deno.test("Spectator deadline: the stream closes when the token expires", async () => {
  const topic = new PipeTopic("p");
  let reason = "";
  const spectator = new Spectator(topic, {
    deadline: Date.now() + 30,
    onClose: (why) => reason = why,
  });
  const text = await new Response(spectator.stream).text();
  assert.match(text, /^retry: 2000\n\n(id: \S+\n)?event: state\n/);
  assert.equal(reason, "deadline");
  assert.equal(topic.spectators, 0);
});

Deno.test("Spectator deadline: a later deadline leaves the TTL in charge", async () => {
  const topic = new PipeTopic("p");
  let reason = "";
  const spectator = new Spectator(topic, {
    ttl: 20,
    deadline: Date.now() + 60_000,
    onClose: (why) => reason = why,
  });
  await new Response(spectator.stream).text();
  assert.equal(reason, "ttl");
});
