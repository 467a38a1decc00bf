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

import { type BenchSection, type Context, log, type Options, recordFailure } from "./_context.ts";
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
        recordFailure(ctx, name, name, error);
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

/** What a section that ends in one table (`jobs`, `notify`) takes from the bench's options. */
interface TableSectionOptions {
  runtimes: Runtime[];
  runs: number;
  seconds: number;
  print: (line: string) => void;
}

/**
 * A section that measures each picked runtime for 5 seconds a run (2 under `--quick`) and
 * ends its block with the table of its rows.
 */
function tableSection<Row>(
  options: Options,
  section: { name: string; title: string },
  measure: {
    rows: (options: TableSectionOptions) => Promise<Row[]>;
    table: (rows: Row[]) => string;
  },
): BenchSection {
  const runtimes = runtimesPicked(options);
  return standalone(section.name, section.title, async (print) => {
    const rows = await measure.rows({
      runtimes,
      runs: options.runs,
      seconds: options.quick ? 2 : 5,
      print,
    });
    return ["", ...measure.table(rows).split("\n")];
  });
}

/** `jobs`: publishes per second and delivery lag with 0, 50 and 500 SSE spectators. */
export function jobsBenchSection(options: Options): BenchSection {
  return tableSection(options, { name: "jobs", title: "JOBS (scripts/bench/jobs.ts)" }, {
    rows: jobsSection,
    table: jobsTable,
  });
}

/** `notify`: ends per second with and without `--notify` (one webhook target), the ratio. */
export function notifyBenchSection(options: Options): BenchSection {
  return tableSection(options, { name: "notify", title: "NOTIFY (scripts/bench/notify.ts)" }, {
    rows: notifySection,
    table: notifyTable,
  });
}
