import assert from "node:assert/strict";
import {
  pipeCommands,
  pipePath,
  randomPipeName,
  shellQuote,
  spectatorCommands,
} from "./commands.ts";

Deno.test("pipePath() encodes each segment and keeps the slashes", () => {
  assert.equal(pipePath("migration"), "/api/v1/pipe/migration");
  assert.equal(pipePath("a/b.c_d~e-f"), "/api/v1/pipe/a/b.c_d~e-f");
  assert.equal(pipePath("x?y#z"), "/api/v1/pipe/x%3Fy%23z");
});

Deno.test("shellQuote() leaves plain words alone and quotes the rest safely", () => {
  assert.equal(shellQuote("file.tar"), "file.tar");
  assert.equal(shellQuote("a b"), "'a b'");
  assert.equal(shellQuote("$(rm -rf /)"), "'$(rm -rf /)'");
  assert.equal(shellQuote("a'b"), "'a'\\''b'");
});

Deno.test("pipeCommands() fills in the server and the name", () => {
  assert.deepEqual(pipeCommands("http://[::1]:8080", "db/backup"), {
    send: "curl -T file.tar 'http://[::1]:8080/api/v1/pipe/db/backup'",
    receive: "curl -o file.tar 'http://[::1]:8080/api/v1/pipe/db/backup'",
    events: "curl -N 'http://[::1]:8080/api/v1/pipe/db/backup?progress'",
    json: "curl -s 'http://[::1]:8080/api/v1/pipe/db/backup?progress&format=json'",
  });
});

Deno.test("spectatorCommands() resolves relative URLs and keeps absolute ones", () => {
  const urls = {
    eventsUrl: "/w/abc?format=sse",
    jsonUrl: "https://other.example/w/abc?format=json",
  };
  assert.deepEqual(spectatorCommands("http://127.0.0.1:1", urls), {
    events: "curl -N 'http://127.0.0.1:1/w/abc?format=sse'",
    json: "curl -s 'https://other.example/w/abc?format=json'",
  });
});

Deno.test("randomPipeName() gives different names", () => {
  const names = new Set(Array.from({ length: 100 }, randomPipeName));
  assert.equal(names.size, 100);
});
