// src/ has no import cycle: a module graph in layers is one a newcomer can read from the bottom
// up (the route table imports nothing; the guard imports the table; the app imports both).
import assert from "node:assert/strict";

interface ModuleInfo {
  specifier: string;
  dependencies?: { code?: { specifier?: string }; type?: { specifier?: string } }[];
}

const root = new URL("../", import.meta.url).href;

/** The graph of src/ modules by specifier, imports of every kind (types too). */
async function sourceGraph(): Promise<Map<string, string[]>> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", new URL("../main.ts", import.meta.url).pathname],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  const { modules } = JSON.parse(new TextDecoder().decode(output.stdout)) as {
    modules: ModuleInfo[];
  };
  const ours = (specifier: string | undefined) =>
    specifier !== undefined && specifier.startsWith(`${root}src/`);
  const graph = new Map<string, string[]>();
  for (const module of modules) {
    if (!ours(module.specifier)) continue;
    const deps = (module.dependencies ?? [])
      .flatMap((dep) => [dep.code?.specifier, dep.type?.specifier])
      .filter(ours) as string[];
    graph.set(module.specifier, deps);
  }
  return graph;
}

Deno.test("src/ has no import cycle (type-only imports included)", async () => {
  const graph = await sourceGraph();
  assert.ok(graph.size > 50, `only ${graph.size} modules found`);
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const cycles: string[] = [];
  function visit(module: string) {
    state.set(module, "open");
    path.push(module);
    for (const dep of graph.get(module) ?? []) {
      if (state.get(dep) === "open") {
        cycles.push(
          [...path.slice(path.indexOf(dep)), dep].map((m) => m.slice(root.length)).join(" → "),
        );
      } else if (!state.has(dep)) visit(dep);
    }
    path.pop();
    state.set(module, "done");
  }
  for (const module of graph.keys()) if (!state.has(module)) visit(module);
  assert.deepEqual(cycles, []);
});

Deno.test("the registry imports no kind: nothing under src/pipe, src/job, src/process", async () => {
  const graph = await sourceGraph();
  const reached = new Set<string>();
  const visit = (module: string) => {
    for (const dep of graph.get(module) ?? []) {
      if (!reached.has(dep)) reached.add(dep), visit(dep);
    }
  };
  visit(`${root}src/tracker.ts`);
  const kinds = [...reached].map((m) => m.slice(root.length))
    .filter((m) => /^src\/(pipe|job|process)\//.test(m));
  assert.deepEqual(kinds, []);
});
