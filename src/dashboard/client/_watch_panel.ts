/**
 * The front page's watch boxes: each opens the dashboard of a pipe, a job or a process by name.
 *
 * @module
 */

import type { VNode } from "preact";
import { useState } from "preact/hooks";
import { nameError } from "../../names.ts";
import { pipePath, topicPath } from "./commands.ts";
import { html } from "./_html.ts";

/** What a watch box opens. */
interface WatchKind {
  title: string;
  /** The input's accessible name. */
  label: string;
  button: string;
  placeholder: string;
  testId: string;
  path(name: string): string;
}

const watchKinds: Record<"pipe" | "job" | "process", WatchKind> = {
  pipe: {
    title: "Watch a pipe",
    label: "Pipe name to watch",
    button: "Open dashboard",
    placeholder: "pipe name",
    testId: "watch-form",
    path: (name) => `${pipePath(name)}?progress`,
  },
  job: {
    title: "Watch a job",
    label: "Job id to watch",
    button: "Watch job",
    placeholder: "job id, e.g. ci/build-7",
    testId: "watch-job-form",
    path: (name) => topicPath("job", name),
  },
  process: {
    title: "Watch a process",
    label: "Process id to watch",
    button: "Watch process",
    placeholder: "process id, e.g. deploy",
    testId: "watch-process-form",
    path: (name) => topicPath("process", name),
  },
};

/**
 * A box that opens the dashboard of a pipe, job or process by name. The name is checked with
 * the server's own rule first, so a typo gets its reason here instead of an error page.
 */
export function WatchPanel(props: { kind: keyof typeof watchKinds; fallback?: string }): VNode {
  const kind = watchKinds[props.kind];
  const [name, setName] = useState("");
  const [error, setError] = useState<string | null>(null);
  function open(event: Event) {
    event.preventDefault();
    const target = name.trim() || (props.fallback ?? "");
    const invalid = nameError(target);
    if (invalid !== null) {
      setError(
        target === "" ? `Type ${props.kind === "pipe" ? "a name" : "an id"} first.` : invalid,
      );
      return;
    }
    location.assign(kind.path(target));
  }
  function onInput(e: Event) {
    setName((e.currentTarget as HTMLInputElement).value);
    setError(null);
  }
  const errorId = `${kind.testId}-error`;
  return html`
    <section class="card">
      <h2>${kind.title}</h2>
      <form class="row" onSubmit="${open}" data-testid="${kind.testId}" novalidate>
        <input
          aria-label="${kind.label}"
          aria-invalid="${error === null ? undefined : "true"}"
          aria-describedby="${error === null ? undefined : errorId}"
          placeholder="${props.fallback || kind.placeholder}"
          value="${name}"
          onInput="${onInput}"
          autocomplete="off"
          autocapitalize="off"
          spellcheck="false"
        />
        <button type="submit">${kind.button}</button>
      </form>
      ${error === null ? null : html`
        <p class="alert" role="alert" id="${errorId}">${error}</p>
      `}
    </section>
  `;
}
