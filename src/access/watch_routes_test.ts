import assert from "node:assert/strict";
import { createApp } from "../app.ts";
import { type Config, defaultConfig } from "../config.ts";
import { Topic } from "../progress/topic.ts";
import type { Entry } from "../tracker.ts";

/** A job-shaped topic: what the job routes publish, enough to watch through a link. */
class FakeJobTopic extends Topic {
  constructor(name: string) {
    super("job", name, ["progress", "complete", "error"]);
  }
  get state() {
    return this.ended ? "success" : "running";
  }
  snapshot() {
    return { kind: "job", id: this.name, state: this.state, data: { progress: 40 } };
  }
  publish(progress: number) {
    this.emit("progress", { progress, task_id: this.name, message: `step of ${this.name}` });
  }
  finish() {
    this.emit("complete", { state: "success", ok: true }, true);
  }
}

/** An app whose registry holds a running job `name`, and that job's watch link and id. */
async function watchedJob(config: Config, name: string) {
  const { app, tracker, watchUrl } = createApp(config);
  const topic = new FakeJobTopic(name);
  const entry: Entry = { kind: "job", name, topic, busy: true, abort() {} };
  tracker.obtain("job", name, () => entry);
  const link = await watchUrl("job", name, "http://h");
  return { app, tracker, topic, link, id: link.slice("http://h/w/".length) };
}

Deno.test("a watch link serves any kind: a job's id and task_id become the watch id", async () => {
  const config = { ...defaultConfig(), private: true, tokens: ["t"], secret: "s" };
  const { app, tracker, topic, link, id } = await watchedJob(config, "ci/build-7");

  const json = await app.request(link, { headers: { accept: "application/json" } });
  assert.deepEqual(await json.json(), {
    kind: "job",
    id,
    state: "running",
    data: { progress: 40 },
  });

  const sse = await app.request(link, { headers: { accept: "text/event-stream" } });
  assert.equal(sse.headers.get("content-type"), "text/event-stream");
  const reader = sse.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  topic.publish(60);
  while (!text.includes("event: progress")) text += (await reader.read()).value;
  topic.finish();
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
    text += chunk.value;
  }
  assert.match(text, new RegExp(`"task_id":"${id}"`));
  // The publisher's own words are its to show; only the name fields are replaced.
  assert.match(text, /"message":"step of ci\/build-7"/);
  assert.ok(!/"(id|task_id)":"ci\/build-7"/.test(text));
  assert.match(text, /event: complete\n/);

  // The job's own URL would need a token (--private); the link does not.
  const refused = await app.request(`/api/v1/jobs/${topic.name}`, { method: "GET" });
  assert.equal(refused.status, 401);
  await refused.body?.cancel();
  tracker.close();
});

Deno.test("the guard covers job and process routes before they exist", async () => {
  const config = { ...defaultConfig(), tokens: ["t"] };
  const { app, tracker } = createApp(config);
  const requests: [string, string][] = [
    ["POST", "/api/v1/jobs/j"],
    ["POST", "/api/v1/jobs/j/progress"],
    ["POST", "/api/v1/jobs/j/finish"],
    ["POST", "/api/v1/processes/p/output"],
    ["POST", "/api/v1/processes/p/status"],
    ["POST", "/api/v1/processes?task=build"],
    ["DELETE", "/api/v1/processes/p"],
  ];
  for (const [method, path] of requests) {
    const res = await app.request(path, { method, body: method === "POST" ? "{}" : null });
    assert.equal(res.status, 401, `${method} ${path}`);
    await res.body?.cancel();
  }
  // Watching stays open without --private (a 404 here: no such job yet, not a 401).
  const watching = await app.request("/api/v1/jobs/j");
  assert.notEqual(watching.status, 401);
  await watching.body?.cancel();
  tracker.close();
});

Deno.test("a watch link's refusal names the watch id, never the topic's name", async () => {
  const config = { ...defaultConfig(), secret: "s", maxSpectators: 0 };
  const { app, tracker, link, id } = await watchedJob(config, "ci/secret-7");
  const refused = await app.request(link, { headers: { accept: "text/event-stream" } });
  assert.equal(refused.status, 429);
  assert.deepEqual(await refused.json(), {
    error: `Too many spectators on '${id}' (at most 0)`,
  });
  tracker.close();
});
