import assert from "node:assert/strict";
import { isFinalEvent, spectatorUrl } from "./urls.ts";

Deno.test("isFinalEvent: the terminal events of every kind", () => {
  const final = (type: string, data: unknown = {}) => isFinalEvent({ type, data, id: null });
  assert.equal(final("done"), true);
  assert.equal(final("error"), true);
  assert.equal(final("complete"), true);
  assert.equal(final("state"), false);
  assert.equal(final("progress"), false);
  assert.equal(final("timeout"), false);
  assert.equal(final("output", { seq: 1, stream: "stdout", line: "x" }), false);
  assert.equal(final("status", { status: "running" }), false);
  for (const status of ["exited", "killed", "failed"]) {
    assert.equal(final("status", { status, exitCode: 1 }), true);
  }
  assert.equal(final("status", null), false);
});

Deno.test("spectatorUrl: URLs, paths and channel names", () => {
  const server = "http://h:1";
  assert.equal(
    spectatorUrl(server, "http://h:1/api/v1/pipe/a/b"),
    "http://h:1/api/v1/pipe/a/b?progress",
  );
  assert.equal(
    spectatorUrl(server, "http://h:1/api/v1/pipe/a?progress"),
    "http://h:1/api/v1/pipe/a?progress",
  );
  assert.equal(spectatorUrl(server, "http://h:1/a?n=2"), "http://h:1/a?n=2&progress");
  assert.equal(spectatorUrl(server, "/api/v1/jobs/x"), "http://h:1/api/v1/jobs/x");
  assert.equal(spectatorUrl(server, "process:build/1"), "http://h:1/api/v1/processes/build/1");
  assert.equal(spectatorUrl(server, "watch:AbC_-"), "http://h:1/w/AbC_-");
  assert.equal(spectatorUrl("http://h:1/", "w/x"), "http://h:1/w/x");
  assert.equal(spectatorUrl(server, "http://other:2/p"), "http://other:2/p?progress");
});
