/**
 * The job dashboard (browser entry). It renders the snapshot embedded in the page at once,
 * then follows the job's SSE stream (`progress`, `spectators`, `complete`, `error`, `timeout`)
 * until the job ends, and polls the JSON snapshot every few seconds (the clock, and whatever a
 * broken stream missed).
 *
 * @module
 */

import type { VNode } from "preact";
import { useEffect } from "preact/hooks";
import type { JobSnapshot } from "../../progress/snapshot.ts";
import { formatElapsed } from "../../client/format.ts";
import {
  describeJob,
  type Entry,
  initialJobModel,
  type JobAction,
  reduceJobModel,
} from "./job_view.ts";
import {
  Badge,
  ProgressBar,
  ScriptLines,
  Stat,
  TopBar,
  useLiveModel,
  useTitle,
} from "./_components.ts";
import { follow, isObject, parseData, poll } from "./_follow.ts";
import { html, type LivePageData, mountPage, withPageToken } from "./_html.ts";

/** How often the watcher count is refreshed. */
const pollEveryMs = 5000;

function JobDashboard(props: LivePageData<JobSnapshot>): VNode {
  const { model, dispatch, ended, now } = useLiveModel(
    reduceJobModel,
    initialJobModel,
    props.snapshot,
  );
  useFollowJob(props, ended, dispatch);
  const at = Math.max(now, model.durationAt, model.dataAt);
  const view = describeJob(model, at);
  useTitle(view.title);
  const tone = view.state === "failed" ? "failed" : view.state === "success" ? "ok" : "active";
  const error = view.error === null ? null : html`
    <p class="alert" role="alert" data-testid="error"><strong>Failed:</strong> ${view.error}</p>
  `;
  const result = view.result === null ? null : html`
    <section class="card result" data-testid="result">
      <h2>Result</h2>
      ${view.result.length === 0
        ? html`
          <p class="muted">The job finished without details.</p>
        `
        : html`
          <${Entries} entries="${view.result}" />
        `}
    </section>
  `;
  const details = view.details.length === 0 ? null : html`
    <section class="card details" data-testid="details">
      <h2>${ended ? "Last published" : "Published"}</h2>
      <${Entries} entries="${view.details}" />
    </section>
  `;
  const message = view.message === null ? null : html`
    <p class="headline message" data-testid="message">${view.message}</p>
  `;
  const sinceUpdate = formatElapsed(Math.max(0, at - model.dataAt) / 1000);
  return html`
    <main class="page dash job" data-state="${view.state}" data-connection="${model.connection}">
      <${TopBar} connection="${model.connection}" />
      <h1 class="pipe-name" data-testid="id"><span class="muted">job</span> ${model.snapshot
        .id}</h1>
      <${Badge} tone="${view.state}" testId="state" icon="${view.icon}" label="${view.label}" />
      ${message} ${view.percent === null ? null : html`
        <p class="big" data-testid="big" aria-hidden="true">${view.big}</p>
      `}
      <${ProgressBar}
        value="${view.percent}"
        label="Job progress"
        valueText="${view.valueText}"
        tone="${tone}"
      />
      ${error} ${result}
      <dl class="stats">
        <${Stat} term="ETA" value="${view.etaText}" testId="eta" />
        <${Stat} term="Elapsed" value="${view.elapsedText}" testId="elapsed" />
        <${Stat} term="Watching" value="${view.spectatorsText}" testId="spectators" />
        ${ended ? null : html`
          <${Stat} term="Last update" value="${`${sinceUpdate} ago`}" testId="updated" />
        `}
      </dl>
      ${details}
      <${ScriptLines} kind="job" ...${props} />
    </main>
  `;
}

function Entries(props: { entries: Entry[] }): VNode {
  return html`
    <dl class="entries">
      ${props.entries.map((entry) =>
        html`
          <div key="${entry.key}">
            <dt>${entry.key}</dt>
            <dd>${entry.block
              ? html`
                <pre>${entry.value}</pre>
              `
              : entry.value}</dd>
          </div>
        `
      )}
    </dl>
  `;
}

/**
 * Follows the job's SSE stream until it ends, and polls its JSON snapshot meanwhile. A
 * `timeout` event means the stream outlived the server's limit while the job still runs: the
 * page opens a new stream at once (which starts with the latest data) and fetches the snapshot.
 */
function useFollowJob(
  props: LivePageData<JobSnapshot>,
  ended: boolean,
  dispatch: (action: JobAction) => void,
): void {
  useEffect(() => {
    if (ended) return;
    function snapshot(value: unknown) {
      if (isObject(value) && value.kind === "job" && isObject(value.data)) {
        dispatch({ type: "snapshot", snapshot: value as unknown as JobSnapshot, at: Date.now() });
      }
    }
    async function fetchNow() {
      try {
        const response = await fetch(withPageToken(props.jsonUrl), {
          headers: { accept: "application/json" },
        });
        if (response.ok) snapshot(await response.json());
        else await response.body?.cancel();
      } catch {
        // the stream's reconnection says it
      }
    }
    const following = follow({
      url: props.eventsUrl,
      onConnection: (connection) => dispatch({ type: "connection", connection }),
      on: {
        progress(data) {
          const value = parseData(data);
          if (isObject(value)) dispatch({ type: "progress", data: value, at: Date.now() });
        },
        spectators(data) {
          const value = parseData(data);
          if (isObject(value) && typeof value.spectators === "number") {
            dispatch({ type: "spectators", spectators: value.spectators });
          }
        },
        complete(data) {
          const value = parseData(data);
          dispatch({ type: "complete", body: isObject(value) ? value : {}, at: Date.now() });
          return true;
        },
        error(data) {
          const value = parseData(data);
          const error = isObject(value) && typeof value.error === "string"
            ? value.error
            : "The job failed.";
          dispatch({ type: "error", error, at: Date.now() });
          return true;
        },
        timeout() {
          following.reopen();
          void fetchNow();
        },
      },
    });
    const stopPolling = poll(props.jsonUrl, pollEveryMs, snapshot);
    return () => {
      following.stop();
      stopPolling();
    };
  }, [props.eventsUrl, props.jsonUrl, ended]);
}

mountPage(JobDashboard);
