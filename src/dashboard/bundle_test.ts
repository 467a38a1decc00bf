import assert from "node:assert/strict";

const root = new URL("../../", import.meta.url);
const regenerate = "node_modules/.bin/bun scripts/build_dashboard.ts";

Deno.test("the committed dashboard bundle matches its sources", async () => {
  const output = await new Deno.Command(new URL("node_modules/.bin/bun", root).pathname, {
    args: ["scripts/build_dashboard.ts", "--stdout"],
    cwd: root.pathname,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 0, `The dashboard build failed:\n${stderr}`);
  const fresh = new TextDecoder().decode(output.stdout);
  const committed = await Deno.readTextFile(new URL("src/dashboard/_bundle.generated.ts", root));
  assert.ok(
    fresh === committed,
    `src/dashboard/_bundle.generated.ts is stale: the client sources changed. Run: ${regenerate}`,
  );
});
