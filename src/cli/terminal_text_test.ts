import assert from "node:assert/strict";
import { terminalText } from "./terminal_text.ts";

const tty = { colors: true };
const pipe = { colors: false };

/** Each kind of sequence the pen test (issue 14) or a terminal knows, inside some text. */
const sequences: [string, string][] = [
  ["OSC 52 (clipboard), ended by BEL", "\x1b]52;c;cm0gLXJmIH4K\x07"],
  ["OSC 0 (title), ended by ST", "\x1b]0;owned\x1b\\"],
  ["OSC 8 (hyperlink)", "\x1b]8;;https://example.test\x1b\\"],
  ["CSI erase display", "\x1b[2J"],
  ["CSI cursor home", "\x1b[H"],
  ["CSI private mode (alternate screen)", "\x1b[?1049h"],
  ["CSI with an intermediate", "\x1b[1 q"],
  ["CSI device status report (answers back)", "\x1b[6n"],
  ["DCS", "\x1bPq#0;2;0;0;0\x1b\\"],
  ["APC", "\x1b_Gf=100;AAAA\x1b\\"],
  ["PM", "\x1b^private\x1b\\"],
  ["SOS", "\x1bXstring\x1b\\"],
  ["two-character sequence (reset the terminal)", "\x1bc"],
  ["nF sequence (charset)", "\x1b(0"],
  ["8-bit CSI", "\x9b2J"],
  ["8-bit OSC, ended by 8-bit ST", "\x9d0;owned\x9c"],
  ["8-bit DCS", "\x90q\x9c"],
  ["BEL", "\x07"],
  ["backspace", "\x08"],
  ["NUL and other C0", "\x00\x01\x0b\x0c\x0e\x1f"],
  ["DEL", "\x7f"],
  ["lone C1", "\x80\x85\x8d\x9a"],
];

Deno.test("terminalText() drops every escape sequence and control character, whatever the output", () => {
  for (const [name, sequence] of sequences) {
    for (const options of [tty, pipe]) {
      const out = terminalText(`before${sequence}after`, options);
      assert.equal(out, "beforeafter", `${name} (colors: ${options.colors})`);
    }
  }
});

Deno.test("terminalText() keeps colours on a terminal only", () => {
  const coloured = "\x1b[1;31merror:\x1b[0m \x1b[38;5;208morange\x1b[38:2::255:128:0m rgb\x1b[m";
  assert.equal(terminalText(coloured, tty), coloured);
  assert.equal(terminalText(coloured, pipe), "error: orange rgb");
  // Not SGR although it ends with m: a private marker, an intermediate, an 8-bit CSI.
  assert.equal(terminalText("a\x1b[>4;2mb\x1b[1 mc\x9b31md", tty), "abcd");
});

Deno.test("terminalText() keeps tabs and newlines, or makes them spaces for one line", () => {
  assert.equal(terminalText("a\tb\nc\r\n", pipe), "a\tb\nc\n");
  assert.equal(terminalText("a\tb\nc", { colors: false, oneLine: true }), "a b c");
});

Deno.test("terminalText(): a carriage return starts over, keeping the colours set before it", () => {
  assert.equal(terminalText("10%\r20%\r30%", pipe), "30%");
  assert.equal(terminalText("\x1b[32m10%\r20%\x1b[0m", tty), "\x1b[32m20%\x1b[0m");
  assert.equal(terminalText("done\r", pipe), "done", "a final one changes nothing");
  // Many carriage returns and colours cost a pass, not a pass per carriage return.
  const many = "\x1b[1m\r".repeat(50_000) + "end";
  assert.equal(terminalText(many, pipe), "end");
  assert.equal(terminalText(many, tty), "\x1b[1m".repeat(50_000) + "end");
});

Deno.test("terminalText(): an unterminated sequence takes the rest of the text", () => {
  for (const tail of ["\x1b]52;c;AAAA", "\x1b[12;", "\x1bP1", "\x9d0;t", "\x1b"]) {
    assert.equal(terminalText(`ok${tail}`, tty), "ok", JSON.stringify(tail));
  }
});

Deno.test("terminalText() leaves printable text alone, non-ASCII included", () => {
  const text = "héllo wörld ✓ 日本語 🎉 \u00a0nbsp ~!@#$%^&*()[]{}";
  assert.equal(terminalText(text, tty), text);
  assert.equal(terminalText(text, pipe), text);
});

Deno.test("terminalText(): a carriage return redraws its own line only; CRLF ends a line", () => {
  assert.equal(terminalText("one\r\ntwo 1%\rtwo 2%\nthree", pipe), "one\ntwo 2%\nthree");
});
