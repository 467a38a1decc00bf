import assert from "node:assert/strict";
import { defaultConfig } from "../config.ts";
import { startJob } from "../job/job.ts";
import { Tracker } from "../tracker.ts";
import { Hub } from "./hub.ts";

/** One connection's messages, each as `[type, data]`. */
async function subscribe(hub: Hub, channels: string[]): Promise<unknown[][]> {
  const sent: unknown[][] = [];
  const client = hub.connect({
    send: (text) => {
      const { type, data } = JSON.parse(text);
      sent.push([type, data]);
    },
    bufferedAmount: () => 0,
    close() {},
    terminate() {},
  });
  for (const channel of channels) {
    await client.receive(JSON.stringify({ type: "subscribe", data: channel }));
  }
  client.close();
  return sent.filter(([type]) => type === "error" || type === "subscribed");
}

Deno.test("a channel naming a topic nobody has is resolved as its kind's watch says", async () => {
  const tracker = new Tracker(defaultConfig());
  // The hub names no kind: here a job channel starts the job it names; a pipe has no watch.
  const hub = new Hub(tracker, { watch: { job: (tracker, name) => startJob(tracker, name).job } });
  assert.deepEqual(await subscribe(hub, ["job:early", "pipe:p"]), [
    ["subscribed", "job:early"],
    ["error", "'pipe:p' not found"],
  ]);
  assert.equal(tracker.find("job", "early")?.topic.state, "running");
  assert.equal(tracker.find("pipe", "p"), undefined);
  tracker.close();
});
