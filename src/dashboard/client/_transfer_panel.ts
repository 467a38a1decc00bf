/**
 * A transfer made from the front page: its state, the hook that starts, reports and cancels it,
 * and the card both the send and the receive panel are drawn in (a form whose submit row has a
 * Cancel button while the transfer runs, then the transfer's progress).
 *
 * @module
 */

import type { VNode } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { formatBytes, formatElapsed, formatPercent, formatSpeed } from "../../client/format.ts";
import { ProgressBar } from "./_components.ts";
import { html } from "./_html.ts";

/** The phases of a transfer made from this page. */
type Phase = "ready" | "running" | "done" | "failed";

interface TransferState {
  phase: Phase;
  bytes: number;
  total: number | null;
  startedAt: number;
  message: string;
}

const readyState: TransferState = {
  phase: "ready",
  bytes: 0,
  total: null,
  startedAt: 0,
  message: "",
};

/** What {@linkcode useTransfer} hands a panel. */
export interface Transfer {
  state: TransferState;
  /** Starts a transfer (aborting one still running) and returns the signal that cancels it. */
  start(message: string): AbortSignal;
  progress(bytes: number, total: number | null, message?: string): void;
  finish(phase: "done" | "failed", message: string): void;
  /** Ends the transfer on the server's refusal, with the last line of its answer. */
  refused(status: number, text: string): void;
  /** Ends the transfer on a thrown error: `Cancelled.` when it was aborted, else `why: …`. */
  failed(error: unknown, why: string): void;
  cancel(): void;
}

/** A transfer's state and the AbortController that cancels it (also on unmount). */
export function useTransfer(): Transfer {
  const [state, setState] = useState<TransferState>(readyState);
  const abort = useRef<AbortController | null>(null);
  useEffect(() => () => abort.current?.abort(), []);
  function start(message: string): AbortSignal {
    abort.current?.abort();
    const controller = new AbortController();
    abort.current = controller;
    setState({ phase: "running", bytes: 0, total: null, startedAt: Date.now(), message });
    return controller.signal;
  }
  function progress(bytes: number, total: number | null, message?: string) {
    setState((s) => ({ ...s, bytes, total, message: message ?? s.message }));
  }
  function finish(phase: "done" | "failed", message: string) {
    abort.current = null;
    setState((s) => ({ ...s, phase, message }));
  }
  function refused(status: number, text: string) {
    finish("failed", `The server answered ${status}: ${lastLine(text)}`);
  }
  function failed(error: unknown, why: string) {
    const aborted = error instanceof DOMException && error.name === "AbortError";
    finish("failed", aborted ? "Cancelled." : `${why}: ${(error as Error).message}`);
  }
  function cancel() {
    abort.current?.abort();
  }
  return { state, start, progress, finish, refused, failed, cancel };
}

/** The sender's last response line, which says why it failed. */
function lastLine(text: string): string {
  const lines = text.trim().split("\n").filter(Boolean);
  return lines[lines.length - 1] ?? "no reason given";
}

function percentOf(state: TransferState): number | null {
  if (state.phase === "done") return 100;
  if (state.total === null) return null;
  return state.total > 0 ? (state.bytes / state.total) * 100 : 0;
}

/** `42% · 1.05 MB of 2.50 MB · 1.20 MB/s`, or `… in 3 s` once done. */
function progressLine(state: TransferState, percent: number | null): string {
  const { bytes, total, phase } = state;
  const seconds = Math.max(0.001, (Date.now() - state.startedAt) / 1000);
  const parts = [
    total === null ? formatBytes(bytes) : `${formatBytes(bytes)} of ${formatBytes(total)}`,
  ];
  if (percent !== null) parts.unshift(formatPercent(percent));
  if (phase === "running" && bytes > 0) parts.push(formatSpeed(bytes / seconds));
  if (phase === "done") parts.push(`in ${formatElapsed(seconds)}`);
  return parts.join(" · ");
}

function TransferProgress(
  props: { state: TransferState; label: string; testId: string; hint: string },
): VNode {
  const { state } = props;
  const percent = percentOf(state);
  const line = progressLine(state, percent);
  const tone = state.phase === "failed" ? "failed" : state.phase === "done" ? "ok" : "active";
  const messageClass = state.phase === "failed" ? "alert" : "status";
  const hint = state.phase === "running" ? props.hint : "";
  if (state.phase === "ready") {
    return html`
      <div class="transfer" data-testid="${props.testId}" data-phase="ready"></div>
    `;
  }
  return html`
    <div class="transfer" data-testid="${props.testId}" data-phase="${state.phase}">
      <${ProgressBar} value="${percent}" label="${props
        .label}" valueText="${line}" tone="${tone}" />
      <p class="bytes">${line}</p>
      <p class="${messageClass}" role="${messageClass}">${state.message}</p>
      <p class="hint">${hint}</p>
    </div>
  `;
}

/** Props of {@linkcode TransferPanel}. */
export interface TransferPanelProps {
  title: string;
  transfer: Transfer;
  onSubmit(event: Event): void;
  /** The submit button's test id; the form's is `${testId}-form`, the progress's `${testId}-progress`. */
  testId: string;
  /** The submit button's words. */
  submit: string;
  disabled: boolean;
  /** The progress bar's accessible name. */
  progressLabel: string;
  /** The line shown under the bar while the transfer runs (how to reach the other side). */
  hint: string;
  /** What the form shows above its submit row. */
  inputs?: VNode | null;
  /** What the card shows under the progress (the received file). */
  after?: VNode | null;
}

/** The card of a send or receive panel: its form, its submit and Cancel row, its progress. */
export function TransferPanel(props: TransferPanelProps): VNode {
  const { transfer, testId } = props;
  const cancel = transfer.state.phase !== "running" ? null : html`
    <button type="button" class="secondary" onClick="${transfer.cancel}">Cancel</button>
  `;
  return html`
    <section class="card">
      <h2>${props.title}</h2>
      <form onSubmit="${props.onSubmit}" data-testid="${`${testId}-form`}">
        ${props.inputs ?? null}
        <div class="row">
          <button type="submit" data-testid="${testId}" disabled="${props.disabled}">
            ${props.submit}
          </button>
          ${cancel}
        </div>
      </form>
      <${TransferProgress}
        state="${transfer.state}"
        label="${props.progressLabel}"
        testId="${`${testId}-progress`}"
        hint="${props.hint}"
      />
      ${props.after ?? null}
    </section>
  `;
}
