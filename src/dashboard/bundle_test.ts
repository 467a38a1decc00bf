import assert from "node:assert/strict";

const root = new URL("../../", import.meta.url);

Deno.test("the committed generated modules (pages' bundle, static files) match their sources", async () => {
  const output = await new Deno.Command(new URL("node_modules/.bin/bun", root).pathname, {
    args: ["scripts/build_dashboard.ts", "--check"],
    cwd: root.pathname,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
  assert.equal(
    output.code,
    0,
    `${text.trim()}: src/dashboard/client/ or static/ changed. Run: deno task dashboard`,
  );
});
