import assert from "node:assert/strict";
import { contentDisposition, fileNameOf } from "./transfer.ts";

Deno.test("contentDisposition() round-trips through fileNameOf()", () => {
  for (
    const name of ["a.txt", "résumé.pdf", 'quote".txt', "back\\slash", "日本語.md", "50% off;x"]
  ) {
    const expected = name.split(/[/\\]/).pop();
    assert.equal(fileNameOf(contentDisposition(name)), expected, name);
  }
});

Deno.test("fileNameOf() never returns a path", () => {
  assert.equal(fileNameOf('attachment; filename="../../etc/passwd"'), "passwd");
  assert.equal(fileNameOf("attachment; filename*=UTF-8''..%2F..%2Fx"), "x");
  assert.equal(fileNameOf('attachment; filename=".."'), null);
  assert.equal(fileNameOf("inline"), null);
});

Deno.test("fileNameOf() falls back to the plain name when filename* is malformed", () => {
  assert.equal(
    fileNameOf(`attachment; filename="plain.bin"; filename*=UTF-8''%E0%A4%A`),
    "plain.bin",
  );
});
