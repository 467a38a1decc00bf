import assert from "node:assert/strict";
import { type AnsiStyle, applySgr, parseAnsi, plainStyle, spanCss } from "./ansi.ts";

function texts(line: string, start?: AnsiStyle): string[] {
  return parseAnsi(line, start).spans.map((s) => s.text);
}

Deno.test("parseAnsi() keeps plain text as one span in the plain style", () => {
  const { spans, end } = parseAnsi("hello\tworld ✓ 日本");
  assert.deepEqual(spans, [{ text: "hello\tworld ✓ 日本", style: plainStyle }]);
  assert.equal(end, plainStyle);
  assert.deepEqual(parseAnsi("").spans, []);
});

Deno.test("parseAnsi() reads the 16 colours, bright ones and backgrounds", () => {
  const { spans } = parseAnsi(
    "\u001b[31mred\u001b[92mbright green\u001b[44mon blue\u001b[39;49mplain",
  );
  assert.deepEqual(
    spans.map((s) => [s.text, s.style.fg, s.style.bg]),
    [["red", 1, null], ["bright green", 10, null], ["on blue", 10, 4], ["plain", null, null]],
  );
  assert.equal(spans[3]!.style, plainStyle);
  assert.deepEqual(
    parseAnsi("\u001b[100mx").spans.map((s) => s.style.bg),
    [8],
  );
});

Deno.test("parseAnsi() reads 256-colour and 24-bit colours, with semicolons and colons", () => {
  const cases: [string, number | string | null, number | string | null][] = [
    ["\u001b[38;5;208mx", 208, null],
    ["\u001b[48;5;17mx", null, 17],
    ["\u001b[38;2;255;128;0mx", "#ff8000", null],
    ["\u001b[48;2;0;0;255mx", null, "#0000ff"],
    ["\u001b[38:5:208mx", 208, null],
    ["\u001b[38:2::1:2:3mx", "#010203", null],
    ["\u001b[38:2:1:2:3mx", "#010203", null],
    ["\u001b[1;38;5;208;4mx", 208, null],
  ];
  for (const [line, fg, bg] of cases) {
    const [span] = parseAnsi(line).spans;
    assert.deepEqual([span?.text, span?.style.fg, span?.style.bg], ["x", fg, bg], line);
  }
  // The parameters after a 256-colour or 24-bit colour still apply.
  assert.equal(parseAnsi("\u001b[38;5;208;4mx").spans[0]!.style.underline, true);
  assert.equal(parseAnsi("\u001b[38;2;1;2;3;1mx").spans[0]!.style.bold, true);
});

Deno.test("parseAnsi() ignores malformed colours without losing the text", () => {
  for (
    const line of ["\u001b[38;5mx", "\u001b[38;5;300mx", "\u001b[38;2;1;2mx", "\u001b[38;9;1mx"]
  ) {
    const { spans } = parseAnsi(line);
    assert.deepEqual(spans.map((s) => s.text), ["x"], line);
    assert.equal(spans[0]!.style.fg, null, line);
  }
  assert.deepEqual(texts("\u001b[99999999999mx"), ["x"]);
});

Deno.test("parseAnsi() sets and clears bold, dim, italic, underline, inverse and strike", () => {
  let style = applySgr(plainStyle, "1;2;3;4;7;9");
  assert.deepEqual(
    [style.bold, style.dim, style.italic, style.underline, style.inverse, style.strike],
    [true, true, true, true, true, true],
  );
  style = applySgr(style, "22;23;24;27;29");
  assert.equal(style, plainStyle);
  assert.equal(applySgr(plainStyle, "4:0").underline, false);
  assert.equal(applySgr(plainStyle, "4:3").underline, true);
  assert.equal(applySgr(applySgr(plainStyle, "31;1"), "0"), plainStyle);
  assert.equal(applySgr(applySgr(plainStyle, "31"), "").fg, null, "ESC[m is a reset");
});

Deno.test("parseAnsi() carries the style across lines through start and end", () => {
  const first = parseAnsi("\u001b[33mwarning: this spans");
  assert.equal(first.end.fg, 3);
  const second = parseAnsi("two lines\u001b[0m done", first.end);
  assert.deepEqual(second.spans.map((s) => [s.text, s.style.fg]), [["two lines", 3], [
    " done",
    null,
  ]]);
  assert.equal(second.end, plainStyle);
});

Deno.test("parseAnsi() strips every other escape sequence and control character", () => {
  const line = [
    "\u001b[2K", // erase line
    "\u001b[1A", // cursor up
    "\u001b[?25l", // hide cursor (private mode)
    "\u001b[?1m", // private 'm' is not SGR
    "\u001b]0;window title\u0007", // OSC title, BEL-ended
    "\u001b]8;;https://example.com\u001b\\link\u001b]8;;\u001b\\", // OSC 8 hyperlink, ST-ended
    "\u001b(B", // charset
    "\u001b=", // keypad
    "\u001bPq#0;2;0;0;0\u001b\\", // DCS (sixel)
    "a\u0000b\u0007c\u007fd\u0085e",
  ].join("");
  const { spans } = parseAnsi(line);
  assert.deepEqual(spans.map((s) => s.text), ["linkabcde"]);
  assert.equal(spans[0]!.style, plainStyle);
  // An unterminated sequence at the end of a line is dropped, not shown.
  assert.deepEqual(texts("ok\u001b[31"), ["ok"]);
  assert.deepEqual(texts("ok\u001b]0;title"), ["ok"]);
  assert.deepEqual(texts("ok\u001b"), ["ok"]);
});

Deno.test("parseAnsi() shows what a carriage return and backspaces leave on screen", () => {
  assert.deepEqual(texts("10%\r20%\r30%"), ["30%"]);
  assert.deepEqual(texts("done\r"), ["done"], "a trailing CR (from CRLF) changes nothing");
  assert.deepEqual(texts("ab\bc"), ["ac"]);
  const { spans } = parseAnsi("\u001b[32m50%\r\u001b[1m100%");
  assert.deepEqual(spans.map((s) => [s.text, s.style.fg, s.style.bold]), [["100%", 2, true]]);
});

Deno.test("parseAnsi() output is text: markup in a line stays text", () => {
  const hostile = `<img src=x onerror=alert(1)>\u001b[31m<script>alert(2)</script>`;
  const { spans } = parseAnsi(hostile);
  assert.equal(
    spans.map((s) => s.text).join(""),
    `<img src=x onerror=alert(1)><script>alert(2)</script>`,
  );
});

Deno.test("parseAnsi() merges adjacent runs in one style", () => {
  assert.deepEqual(texts("a\u001b[0mb\u001b[31m\u001b[31mc\u001b[1;22md"), ["ab", "cd"]);
});

Deno.test("spanCss() uses theme variables for the 16 colours and swaps for inverse", () => {
  assert.deepEqual(spanCss(applySgr(plainStyle, "2;3;9;41")), {
    backgroundColor: "var(--ansi-1)",
    opacity: "0.65",
    fontStyle: "italic",
    textDecoration: "line-through",
  });
  assert.deepEqual(spanCss(applySgr(plainStyle, "7;31")), {
    color: "var(--term-bg)",
    backgroundColor: "var(--ansi-1)",
  });
  assert.deepEqual(spanCss(applySgr(plainStyle, "38;2;1;2;3")), { color: "#010203" });
});

Deno.test("parseAnsi() handles a long line with many sequences quickly enough to be linear", () => {
  const line = "\u001b[31mx\u001b[0m".repeat(20_000);
  const { spans } = parseAnsi(line);
  assert.equal(spans.length, 20_000);
});
