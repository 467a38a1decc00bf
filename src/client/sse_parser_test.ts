import assert from "node:assert/strict";
import { type ServerSentEvent, SseParser } from "./sse_parser.ts";

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

const PROCESS_STREAM = [
  "retry: 2000\n",
  "\n",
  ": keepalive\n\n",
  'id: 1\nevent: output\ndata: {"seq":1,"stream":"stdout","line":"a: b"}\n\n',
  'id: 2\nevent: output\ndata: {"seq":2,"stream":"stderr","line":""}\n\n',
  'event: gap\ndata: {"missed":3}\n\n',
  'event: status\ndata: {"status":"exited","exitCode":0}\n\n',
].join("");

const PROCESS_EVENTS: ServerSentEvent[] = [
  { type: "output", data: '{"seq":1,"stream":"stdout","line":"a: b"}', id: "1" },
  { type: "output", data: '{"seq":2,"stream":"stderr","line":""}', id: "2" },
  { type: "gap", data: '{"missed":3}', id: "2" },
  { type: "status", data: '{"status":"exited","exitCode":0}', id: "2" },
];

function parseAll(pieces: readonly string[]): { events: ServerSentEvent[]; parser: SseParser } {
  const parser = new SseParser();
  const events = pieces.flatMap((piece) => parser.push(piece));
  return { events, parser };
}

interface Fixture {
  stream: string;
  events: ServerSentEvent[];
  /** The parser's state at the end: `[retry, lastEventId, comments]`. */
  state: [number | null, string, number];
}

/** Streams that must parse the same whole, split anywhere, and with any of the three line ends. */
const FIXTURES: Record<string, Fixture> = {
  "every kind of field": { stream: STREAM, events: EXPECTED, state: [2000, "", 1] },
  "a process's stream": { stream: PROCESS_STREAM, events: PROCESS_EVENTS, state: [2000, "2", 1] },
};

for (const [name, fixture] of Object.entries(FIXTURES)) {
  Deno.test(`SseParser: ${name}, whole or split anywhere, with LF, CRLF or CR line ends`, () => {
    for (const ending of ["\n", "\r\n", "\r"]) {
      const text = fixture.stream.replaceAll("\n", ending);
      const at = (where: string) => `${JSON.stringify(ending)} ${where}`;
      for (let i = 0; i <= text.length; i++) {
        const { events } = parseAll([text.slice(0, i), text.slice(i)]);
        assert.deepEqual(events, fixture.events, at(`split at ${i}`));
      }
      for (const [where, pieces] of [["whole", [text]], ["by char", [...text]]] as const) {
        const { events, parser } = parseAll(pieces);
        assert.deepEqual(events, fixture.events, at(where));
        const { retry, lastEventId, comments } = parser;
        assert.deepEqual([retry, lastEventId, comments], fixture.state, at(where));
      }
    }
  });
}

Deno.test("SseParser: a CR ending one chunk and an LF starting the next are one line end", () => {
  assert.deepEqual(parseAll(["data: x\r", "\n\r", "\n"]).events, [
    { type: "message", data: "x", id: "" },
  ]);
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

Deno.test("SseParser: joins data lines, keeps a leading space after the first, ignores the rest", () => {
  const { events } = parseAll([
    "data\ndata: one\ndata:  two\nfoo: bar\nevent\n\n",
    'data: {"error":"x"}\nevent: error\n\n',
  ]);
  assert.deepEqual(events, [
    { type: "message", data: "\none\n two", id: "" },
    { type: "error", data: '{"error":"x"}', id: "" },
  ]);
});

Deno.test("SseParser: an event without data is not dispatched; ids with NUL and bad retries are ignored", () => {
  const { events, parser } = parseAll([
    "event: progress\n\n",
    "id: 5\n\n",
    "id: 6\u00007\nretry: soon\ndata: x\n\n",
  ]);
  assert.deepEqual(events, [{ type: "message", data: "x", id: "5" }]);
  assert.equal(parser.lastEventId, "5");
  assert.equal(parser.retry, null);
});

Deno.test("SseParser.reset() drops a half-received event, keeps the last dispatched id", () => {
  const parser = new SseParser();
  parser.push('id: 9\nevent: output\ndata: {"seq":9}\n\nevent: output\ndata: {"se');
  parser.reset();
  assert.deepEqual(parser.push('id: 10\nevent: output\ndata: {"seq":10}\n\n'), [
    { type: "output", data: '{"seq":10}', id: "10" },
  ]);
  // An id is the last event id once its event is dispatched (the HTML standard), not before.
  const fresh = new SseParser();
  fresh.push("id: 3\n\nid: 4\ndata: x");
  fresh.reset();
  assert.equal(fresh.lastEventId, "3");
  assert.deepEqual(fresh.push("data: y\n\n"), [{ type: "message", data: "y", id: "3" }]);
  // A byte-order mark is dropped only at the start of a connection's text.
  assert.deepEqual(fresh.push("\uFEFFdata: z\n\n"), []);
  fresh.reset();
  assert.deepEqual(fresh.push("\uFEFFdata: z\n\n"), [{ type: "message", data: "z", id: "3" }]);
});

Deno.test("SseParser: parses 10,000 events in one chunk", () => {
  let text = "";
  for (let i = 1; i <= 10_000; i++) text += `id: ${i}\nevent: output\ndata: {"seq":${i}}\n\n`;
  const { events, parser } = parseAll([text]);
  assert.equal(events.length, 10_000);
  assert.equal(parser.lastEventId, "10000");
});
