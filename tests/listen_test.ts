// End-to-end: `ringside serve` on a port another server holds (bun, deno or the binary:
// RINGSIDE_TEST_RUNTIME). Bun shares such a port by default (SO_REUSEPORT): both servers would
// start and split the connections between them.
import assert from "node:assert/strict";
import { ringsideCli, startServer, testRuntime } from "./_server.ts";

Deno.test(`a second server on a port in use exits with one line (${testRuntime})`, async () => {
  await using first = await startServer();
  const port = Number(new URL(first.origin).port);
  // --exit-on-stdin-close and no stdin: a server that does start ends at once with 0.
  const second = await ringsideCli({
    args: ["serve", "--host", "127.0.0.1", "--port", String(port), "--exit-on-stdin-close"],
  }).output();
  const stderr = new TextDecoder().decode(second.stderr);
  assert.equal(second.code, 1, stderr);
  assert.equal(stderr, `ringside: cannot listen on 127.0.0.1:${port}: address in use\n`);
  assert.equal(new TextDecoder().decode(second.stdout), "");
  // The first one holds the port alone: every connection reaches it.
  for (let i = 0; i < 10; i++) {
    const response = await fetch(`${first.origin}/api/v1/stats`);
    assert.equal(response.status, 200);
    await response.body?.cancel();
  }
});
