import assert from "node:assert/strict";
import { parseInbound } from "./inbound.ts";

Deno.test("each known message type with its argument is read", () => {
  assert.deepEqual(parseInbound('{"type":"ping"}'), { type: "ping" });
  assert.deepEqual(parseInbound('{"type":"unsubscribe","data":"job:x"}'), {
    type: "unsubscribe",
    channel: "job:x",
  });
  assert.deepEqual(parseInbound('{"type":"auth","data":"t"}'), { type: "auth", token: "t" });
});

Deno.test("anything else is one line saying what is wrong", () => {
  const cases: [unknown, RegExp][] = [
    [new ArrayBuffer(1), /^Binary frames are not understood/],
    ["{not json", /^Malformed JSON/],
    ["[1,2]", /^Invalid message/],
    ["null", /^Invalid message/],
    ['{"type":"dance"}', /^Unknown message type 'dance'/],
    [`{"type":"${"x".repeat(500)}"}`, /^Unknown message type 'x{100}' \(/],
    ['{"type":"subscribe"}', /^'subscribe' needs a channel/],
    ['{"type":"unsubscribe","data":1}', /^'unsubscribe' needs a channel/],
    ['{"type":"auth","data":null}', /^'auth' needs the token/],
  ];
  for (const [data, message] of cases) assert.match(String(parseInbound(data)), message);
});
