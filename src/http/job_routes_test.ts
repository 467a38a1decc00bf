import assert from "node:assert/strict";
import { createApp } from "../app.ts";
import { defaultConfig } from "../config.ts";

Deno.test("HEAD on a job answers each format's type and attaches no spectator", async () => {
  const { app, tracker } = createApp(defaultConfig());
  try {
    const made = await app.request("/api/v1/jobs/ci", { method: "POST", body: '{"percent":10}' });
    assert.equal(made.status, 201);
    await made.body?.cancel();
    for (
      const [query, type] of [
        ["?format=svg", /^image\/svg\+xml/],
        ["?format=json", /^application\/json/],
        ["?format=sse", /^text\/event-stream/],
        ["", /^text\/event-stream/],
      ] as const
    ) {
      const res = await app.request(`/api/v1/jobs/ci${query}`, { method: "HEAD" });
      assert.equal(res.status, 200, query);
      assert.match(res.headers.get("content-type") ?? "", type, query);
      await res.body?.cancel();
    }
    const json = await app.request("/api/v1/jobs/ci?format=json");
    assert.equal((await json.json()).spectators, 0);
  } finally {
    tracker.close();
  }
});
