/**
 * The bench sections that were written as standalone scripts (`churn.ts`, `jobs.ts`,
 * `processes.ts`), adapted to {@linkcode BenchSection} so that `scripts/bench.ts --only churn`
 * (or `jobs`, `processes`) runs them. Each starts its own servers, so it asks the runner for
 * none; the ringside runtimes named in `--only` (`bun`, `deno`; both when none is named) pick
 * the runtimes it serves on. `--runs` and `--quick` carry over; a failure is filed as the
 * section's error (the bench exits 1) instead of ending the run.
 *
 * @module
 */

import { type BenchSection, type Context, log, type Options } from "./_context.ts";
import type { Runtime } from "./_harness.ts";
import { churnSection } from "./churn.ts";
import { jobsSection, jobsTable } from "./jobs.ts";
import { processesSection } from "./processes.ts";
import { notifySection, notifyTable } from "./notify.ts";

/** The ringside runtimes `--only` picked (both when it named none). */
function runtimesPicked(options: Options): Runtime[] {
  const picked = options.targets.filter((t): t is Runtime => t === "bun" || t === "deno");
  return picked.length > 0 ? picked : ["bun", "deno"];
}

/**
 * A section whose `measure` prints its own lines: they go to the progress log as they come and
 * make up the section's block of the report.
 */
function standalone(
  name: string,
  title: string,
  measure: (print: (line: string) => void) => Promise<string[]>,
): BenchSection {
  const lines: string[] = [];
  return {
    name,
    long: true,
    targets: [],
    async run(ctx: Context): Promise<void> {
      log(`\n== ${name}`);
      const print = (line: string) => {
        log(`  ${line}`);
        lines.push(`  ${line}`);
      };
      try {
        lines.push(...(await measure(print)).map((line) => `  ${line}`));
      } catch (error) {
        const message = (error as Error).message;
        ctx.results.get(name).errors.push(message.split("\n")[0]!);
        log(`  ${name}: FAILED ${message}`);
      }
    },
    report(): string[][] {
      return lines.length > 0 ? [[title, ...lines]] : [];
    },
  };
}

/** `churn`: sequential 1 MB transfers with a spectator each; what retained pipes cost. */
export function churnBenchSection(options: Options): BenchSection {
  const runtimes = runtimesPicked(options);
  return standalone("churn", "CHURN (scripts/bench/churn.ts)", async (print) => {
    for (const runtime of runtimes) {
      await churnSection({ runtime, transfers: options.quick ? 200 : 1000, print });
    }
    return [];
  });
}

/** `jobs`: publishes per second and delivery lag with 0, 50 and 500 SSE spectators. */
export function jobsBenchSection(options: Options): BenchSection {
  const runtimes = runtimesPicked(options);
  return standalone("jobs", "JOBS (scripts/bench/jobs.ts)", async (print) => {
    const rows = await jobsSection({
      runtimes,
      runs: options.runs,
      seconds: options.quick ? 2 : 5,
      log: print,
    });
    return ["", ...jobsTable(rows).split("\n")];
  });
}

/** `processes`: what `ringside run` costs a chatty command; lines a spectator follows. */
export function processesBenchSection(options: Options): BenchSection {
  const runtimes = runtimesPicked(options);
  return standalone("processes", "PROCESSES (scripts/bench/processes.ts)", async (print) => {
    for (const runtime of runtimes) {
      print(`runtime ${runtime}:`);
      await processesSection({
        runtime,
        runs: options.runs,
        lines: options.quick ? 100_000 : 1_000_000,
        print,
      });
    }
    return [];
  });
}

/** `notify`: ends per second with and without `--notify` (one webhook target), the ratio. */
export function notifyBenchSection(options: Options): BenchSection {
  const runtimes = runtimesPicked(options);
  return standalone("notify", "NOTIFY (scripts/bench/notify.ts)", async (print) => {
    const rows = await notifySection({
      runtimes,
      runs: options.runs,
      seconds: options.quick ? 2 : 5,
      print,
    });
    return ["", ...notifyTable(rows).split("\n")];
  });
}
