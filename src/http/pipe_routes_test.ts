import assert from "node:assert/strict";
import { createApp } from "../app.ts";
import { defaultConfig } from "../config.ts";

Deno.test("a second sender gets 409 while the first waits; the first still delivers", async () => {
  const { app, tracker } = createApp(defaultConfig());
  try {
    const first = await app.request("/api/v1/pipe/busy", { method: "PUT", body: "first" });
    const second = await app.request("/api/v1/pipe/busy", { method: "PUT", body: "x" });
    assert.equal(second.status, 409);
    assert.equal(await second.text(), "Pipe 'busy' already has a sender\n");
    const receiver = await app.request("/api/v1/pipe/busy");
    assert.equal(await receiver.text(), "first");
    assert.match(await first.text(), /Sent 5 bytes to 1 receiver/);
  } finally {
    tracker.close();
  }
});

Deno.test("a receiver that comes right after a completed run pairs with the next sender", async () => {
  const { app, tracker } = createApp(defaultConfig());
  try {
    for (const text of ["one", "two", "three"]) {
      const receiving = app.request("/api/v1/pipe/again");
      const sender = await app.request("/api/v1/pipe/again", { method: "PUT", body: text });
      assert.equal(await (await receiving).text(), text);
      await sender.text();
    }
  } finally {
    tracker.close();
  }
});
