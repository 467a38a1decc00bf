import assert from "node:assert/strict";
import { type SseEvent, SseParser } from "./sse_parser.ts";

function parseAll(chunks: string[]): { events: SseEvent[]; parser: SseParser } {
  const parser = new SseParser();
  const events = chunks.flatMap((c) => parser.push(c));
  return { events, parser };
}

const stream = [
  "retry: 2000\n",
  "\n",
  ": keepalive\n\n",
  'id: 1\nevent: output\ndata: {"seq":1,"stream":"stdout","line":"a: b"}\n\n',
  'id: 2\nevent: output\ndata: {"seq":2,"stream":"stderr","line":""}\n\n',
  'event: gap\ndata: {"missed":3}\n\n',
  'event: status\ndata: {"status":"exited","exitCode":0}\n\n',
].join("");

const expected: SseEvent[] = [
  { event: "output", data: '{"seq":1,"stream":"stdout","line":"a: b"}', id: "1" },
  { event: "output", data: '{"seq":2,"stream":"stderr","line":""}', id: "2" },
  { event: "gap", data: '{"missed":3}', id: "2" },
  { event: "status", data: '{"status":"exited","exitCode":0}', id: "2" },
];

Deno.test("SseParser reads a process stream whole and split at every character", () => {
  assert.deepEqual(parseAll([stream]).events, expected);
  const split = parseAll([...stream]);
  assert.deepEqual(split.events, expected);
  assert.equal(split.parser.lastEventId, "2");
  assert.equal(split.parser.retryMs, 2000);
});

Deno.test("SseParser accepts CRLF and CR line ends, also split between CR and LF", () => {
  for (const end of ["\r\n", "\r"]) {
    const text = stream.replaceAll("\n", end);
    assert.deepEqual(parseAll([text]).events, expected, JSON.stringify(end));
    assert.deepEqual(parseAll([...text]).events, expected, JSON.stringify(end));
  }
  // A CR at the end of one chunk and the LF at the start of the next are one line end.
  assert.deepEqual(parseAll(["data: x\r", "\n\r", "\n"]).events, [
    { event: "message", data: "x", id: "" },
  ]);
});

Deno.test("SseParser joins data lines, keeps a leading space after the first, ignores the rest", () => {
  const { events } = parseAll([
    "data\ndata: one\ndata:  two\nfoo: bar\nevent\n\n",
    'data: {"error":"x"}\nevent: error\n\n',
  ]);
  assert.deepEqual(events, [
    { event: "message", data: "\none\n two", id: "" },
    { event: "error", data: '{"error":"x"}', id: "" },
  ]);
});

Deno.test("SseParser: an event without data is not dispatched; ids with NUL and bad retries are ignored", () => {
  const { events, parser } = parseAll([
    "event: progress\n\n",
    "id: 5\n\n",
    "id: 6\u00007\nretry: soon\ndata: x\n\n",
  ]);
  assert.deepEqual(events, [{ event: "message", data: "x", id: "5" }]);
  assert.equal(parser.lastEventId, "5");
  assert.equal(parser.retryMs, null);
});

Deno.test("SseParser.reset() drops a half-received event but keeps the last id", () => {
  const parser = new SseParser();
  parser.push('id: 9\nevent: output\ndata: {"seq":9}\n\nevent: output\ndata: {"se');
  parser.reset();
  assert.deepEqual(parser.push('id: 10\nevent: output\ndata: {"seq":10}\n\n'), [
    { event: "output", data: '{"seq":10}', id: "10" },
  ]);
  const fresh = new SseParser();
  fresh.push("id: 3\ndata: x");
  fresh.reset();
  assert.equal(fresh.lastEventId, "3");
});

Deno.test("SseParser parses 10,000 events in one chunk", () => {
  let text = "";
  for (let i = 1; i <= 10_000; i++) text += `id: ${i}\nevent: output\ndata: {"seq":${i}}\n\n`;
  const { events, parser } = parseAll([text]);
  assert.equal(events.length, 10_000);
  assert.equal(parser.lastEventId, "10000");
});
