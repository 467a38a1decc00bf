import assert from "node:assert/strict";
import { RingsideClient } from "./client.ts";

Deno.test("RingsideClient: an unreachable server is a RingsideError with status 0", async () => {
  // Port 9 (discard) is closed on a test machine: the connection is refused at once.
  const client = new RingsideClient({ server: "http://127.0.0.1:9" });
  const error = await client.publish("x", {}).catch((e) => e);
  assert.equal(error.name, "RingsideError");
  assert.equal(error.status, 0);
  assert.match(error.message, /^Cannot reach http:\/\/127\.0\.0\.1:9: /);
  const iterator = client.subscribe("job:x");
  await assert.rejects(iterator.next(), /Cannot reach/);
});
