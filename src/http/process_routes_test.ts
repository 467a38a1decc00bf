import assert from "node:assert/strict";
import { createApp } from "../app.ts";
import { defaultConfig } from "../config.ts";

Deno.test("a malformed process status is 400 with an example of the body; too large is 413 without", async () => {
  const config = defaultConfig();
  const { app, tracker } = createApp(config);
  try {
    const post = (body: string) =>
      app.request("/api/v1/processes/build/status", { method: "POST", body });
    for (
      const [body, message] of [
        ["{", "Body is not valid JSON"],
        ["[]", "Body must be a JSON object"],
      ]
    ) {
      const res = await post(body!);
      assert.equal(res.status, 400, body);
      assert.deepEqual(await res.json(), {
        error: `${message} (send {"status":"exited","exitCode":0})`,
      });
    }
    const res = await post(`{"pad":"${"x".repeat(config.maxEventBytes)}"}`);
    assert.equal(res.status, 413);
    assert.doesNotMatch(await res.text(), /send \{/);
  } finally {
    tracker.close();
  }
});
