import { useEffect, useLayoutEffect, useReducer, useRef, useState } from "preact/hooks";
import type { VNode } from "preact";
import { clampPercent } from "../../client/format.ts";
import { spectatorCommands } from "./commands.ts";
import { html } from "./_html.ts";
import type { Connection } from "./_live_model.ts";

/** What {@linkcode useLiveModel} hands a dashboard. */
export interface LiveModel<M, A> {
  model: M;
  dispatch(action: A): void;
  /** The link has ended: the model is final and the clock stopped. */
  ended: boolean;
  /** This browser's clock (ms since the epoch), ticking every second until the link ends. */
  now: number;
}

/**
 * A dashboard's model, started from the snapshot the page embeds (at this browser's time), and
 * the clock that moves its elapsed and ETA figures every second until the link ends.
 */
export function useLiveModel<S, M extends { connection: Connection }, A>(
  reduce: (model: M, action: A) => M,
  init: (snapshot: S, at: number) => M,
  snapshot: S,
): LiveModel<M, A> {
  const [model, dispatch] = useReducer(reduce, snapshot, (s) => init(s, Date.now()));
  const [now, setNow] = useState(Date.now);
  const ended = model.connection === "ended";
  useEffect(() => {
    if (ended) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [ended]);
  return { model, dispatch, ended, now };
}

/**
 * Sets the tab's title in the same commit as the page's content (a layout effect, not a passive
 * one), so the title never says an older state than the page.
 */
export function useTitle(title: string): void {
  useLayoutEffect(() => {
    document.title = title;
  }, [title]);
}

/** Props of {@linkcode ProgressBar}. */
export interface ProgressBarProps {
  /** 0–100, or `null` for an indeterminate bar (total unknown). */
  value: number | null;
  /** What the bar measures, for screen readers. */
  label: string;
  /** The value in words, for screen readers (`aria-valuetext`). */
  valueText: string;
  /** `ok` or `failed` tints the bar once it is over; the words say it too. */
  tone?: "active" | "ok" | "failed";
}

/**
 * An accessible progress bar (`role="progressbar"`). Indeterminate when the total is unknown:
 * no `aria-valuenow`, and a moving stripe instead of a fill.
 */
export function ProgressBar(props: ProgressBarProps): VNode {
  const value = props.value === null ? null : clampPercent(props.value);
  return html`
    <div
      class="${`bar ${value === null ? "indeterminate" : ""} ${props.tone ?? "active"}`}"
      role="progressbar"
      aria-label="${props.label}"
      aria-valuemin="0"
      aria-valuemax="100"
      aria-valuenow="${value === null ? undefined : Math.floor(value * 10) / 10}"
      aria-valuetext="${props.valueText}"
    >
      <span class="fill" style="${{ width: value === null ? "" : `${value}%` }}"></span>
    </div>
  `;
}

/**
 * A shell command with a Copy button. Uses the async Clipboard API where the page is a secure
 * context, and falls back to selecting the text and `execCommand("copy")` on plain http.
 */
export function CopyLine(props: { label: string; command: string; testId?: string }): VNode {
  const code = useRef<HTMLElement>(null);
  const [copied, setCopied] = useState<"" | "Copied" | "Press Ctrl+C">("");
  useEffect(() => {
    if (copied === "") return;
    const timer = setTimeout(() => setCopied(""), 2000);
    return () => clearTimeout(timer);
  }, [copied]);
  async function copy() {
    try {
      await navigator.clipboard.writeText(props.command);
      setCopied("Copied");
      return;
    } catch {
      // not a secure context, or permission denied: select the text instead
    }
    const element = code.current;
    const selection = getSelection();
    if (element === null || selection === null) return;
    const range = document.createRange();
    range.selectNodeContents(element);
    selection.removeAllRanges();
    selection.addRange(range);
    setCopied(document.execCommand("copy") ? "Copied" : "Press Ctrl+C");
  }
  return html`
    <div class="cmd">
      <span class="cmd-label">${props.label}</span>
      <div class="cmd-row">
        <code ref="${code}" data-testid="${props.testId}">${props.command}</code>
        <button type="button" class="copy" onClick="${copy}" aria-label="${`Copy: ${props.label}`}">
          ${copied === "" ? "Copy" : copied}
        </button>
      </div>
    </div>
  `;
}

/** One figure in the dashboard's grid of stats. */
export function Stat(props: { term: string; value: string; testId: string }): VNode {
  return html`
    <div>
      <dt>${props.term}</dt>
      <dd data-testid="${props.testId}">${props.value}</dd>
    </div>
  `;
}

const connectionWords: Record<Connection, string> = {
  connecting: "connecting…",
  live: "live",
  reconnecting: "reconnecting…",
  ended: "final",
};

/** The page's link to the server, in a word. */
export function ConnectionBadge(props: { connection: Connection }): VNode {
  return html`
    <span class="${`conn ${props.connection}`}" role="status" data-testid="connection">
      ${connectionWords[props.connection]}
    </span>
  `;
}

/** The state badge: an icon for the eye, and the word, read out when it changes. */
export function Badge(props: { tone: string; testId: string; icon: string; label: string }): VNode {
  return html`
    <p class="${`badge ${props.tone}`}" data-testid="${props.testId}" aria-live="polite">
      <span aria-hidden="true">${props.icon}</span> ${props.label}
    </p>
  `;
}

/** The top of a dashboard: the way to the front page and the state of the link. */
export function TopBar(props: { connection: Connection }): VNode {
  return html`
    <header class="top">
      <a class="brand" href="/">ringside</a>
      <${ConnectionBadge} connection="${props.connection}" />
    </header>
  `;
}

/** The curl lines that follow a pipe, a job or a process from a script. */
export function ScriptLines(
  props: { kind: "pipe" | "job" | "process"; eventsUrl: string; jsonUrl: string },
): VNode {
  const commands = spectatorCommands(location.origin, props);
  return html`
    <section class="api">
      <h2>Follow this ${props.kind} from a script</h2>
      <${CopyLine} label="Live events (SSE)" command="${commands.events}" testId="cmd-events" />
      <${CopyLine} label="One JSON snapshot" command="${commands.json}" testId="cmd-json" />
    </section>
  `;
}
