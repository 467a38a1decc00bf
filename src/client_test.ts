import assert from "node:assert/strict";
import {
  isFinalEvent,
  RingsideClient,
  type ServerSentEvent,
  spectatorUrl,
  SseParser,
} from "./client.ts";

const STREAM = [
  "retry: 2000",
  "",
  ": keepalive",
  "",
  "event: state",
  'data: {"state":"waiting"}',
  "",
  "id: 3",
  "event: output",
  "data: first",
  "data:second",
  "data:  two spaces",
  "",
  "data",
  "",
  "event: ignored-without-data",
  "",
  "id",
  "data: no id now",
  "",
  "unknown: field",
  "retry: 1x",
  "data: é ✓",
  "",
  "data: never dispatched: no blank line after it",
].join("\n");

const EXPECTED: ServerSentEvent[] = [
  { type: "state", data: '{"state":"waiting"}', id: "" },
  { type: "output", data: "first\nsecond\n two spaces", id: "3" },
  { type: "message", data: "", id: "3" },
  { type: "message", data: "no id now", id: "" },
  { type: "message", data: "é ✓", id: "" },
];

function parseAll(pieces: string[]): { events: ServerSentEvent[]; parser: SseParser } {
  const parser = new SseParser();
  const events = pieces.flatMap((piece) => parser.push(piece));
  return { events, parser };
}

Deno.test("SseParser: the whole stream in one piece", () => {
  const { events, parser } = parseAll([STREAM]);
  assert.deepEqual(events, EXPECTED);
  assert.equal(parser.retry, 2000);
  assert.equal(parser.comments, 1);
});

Deno.test("SseParser: a chunk boundary anywhere gives the same events", () => {
  for (const ending of ["\n", "\r\n", "\r"]) {
    const text = STREAM.replaceAll("\n", ending);
    for (let i = 0; i <= text.length; i++) {
      const { events } = parseAll([text.slice(0, i), text.slice(i)]);
      assert.deepEqual(events, EXPECTED, `${JSON.stringify(ending)} split at ${i}`);
    }
    assert.deepEqual(parseAll([...text]).events, EXPECTED, `${JSON.stringify(ending)} by char`);
  }
});

Deno.test("SseParser: mixed line endings, a CRLF split across chunks counts once", () => {
  const { events } = parseAll(["data: a\r", "\ndata: b\r", "\r", "\ndata: c\n\r\n"]);
  assert.deepEqual(events, [
    { type: "message", data: "a\nb", id: "" },
    { type: "message", data: "c", id: "" },
  ]);
});

Deno.test("SseParser: a leading BOM is dropped, an id with NUL is ignored, retry needs digits", () => {
  const parser = new SseParser();
  const events = parser.push("\uFEFFid: 1\ndata: x\n\nid: 2\0\nretry: -5\ndata: y\n\n");
  assert.deepEqual(events, [
    { type: "message", data: "x", id: "1" },
    { type: "message", data: "y", id: "1" },
  ]);
  assert.equal(parser.retry, null);
  assert.equal(parser.lastEventId, "1");
});

Deno.test("SseParser: multi-byte UTF-8 split across byte chunks decodes whole", () => {
  const bytes = new TextEncoder().encode("data: 日本語 ✓\n\n");
  const decoder = new TextDecoder();
  const parser = new SseParser();
  const events = [];
  for (let i = 0; i < bytes.length; i++) {
    events.push(...parser.push(decoder.decode(bytes.subarray(i, i + 1), { stream: true })));
  }
  assert.deepEqual(events, [{ type: "message", data: "日本語 ✓", id: "" }]);
});

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
