/**
 * A webhook receiver for end-to-end tests of `--notify`: a real HTTP server on 127.0.0.1 in the
 * test process that records every request, checks its signature the way a user's receiver
 * would, and answers as the test says (it may make an answer wait, to play a hanging target).
 */

import { hmacHex } from "./_hmac.ts";

/** One request the receiver got. */
export interface Delivery {
  /** The exact body text. */
  body: string;
  /** The body parsed. */
  // deno-lint-ignore no-explicit-any
  json: Record<string, any>;
  headers: Headers;
  /** Whether `X-Ringside-Signature` matched HMAC-SHA256(secret, body), when a secret is set. */
  signed: boolean | null;
}

/** Options for {@linkcode startReceiver}. */
export interface ReceiverOptions {
  /** The answer to the `index`-th request (from 0). @default 204 */
  answer?: (delivery: Delivery, index: number) => Response | Promise<Response>;
  /** Checks signatures with this secret. */
  secret?: string;
  /** Listen on this port (to come back up where a server expects it). @default 0 */
  port?: number;
}

/** A running receiver. */
export interface Receiver extends AsyncDisposable {
  readonly url: string;
  readonly port: number;
  readonly deliveries: Delivery[];
  /** Resolves once `count` requests have arrived. */
  count(count: number): Promise<Delivery[]>;
  close(): Promise<void>;
}

/** Starts a receiver; its URL is `http://127.0.0.1:PORT/hook`. */
export function startReceiver(options: ReceiverOptions = {}): Receiver {
  const deliveries: Delivery[] = [];
  const wake: (() => void)[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: options.port ?? 0, onListen() {} },
    async (request) => {
      const bytes = new Uint8Array(await request.arrayBuffer());
      const body = new TextDecoder().decode(bytes);
      const signed = options.secret === undefined
        ? null
        : request.headers.get("x-ringside-signature") ===
          `sha256=${await hmacHex(options.secret, bytes)}`;
      const delivery = { body, json: JSON.parse(body), headers: request.headers, signed };
      const index = deliveries.push(delivery) - 1;
      for (const resolve of wake.splice(0)) resolve();
      return await (options.answer?.(delivery, index) ?? new Response(null, { status: 204 }));
    },
  );
  let closed: Promise<void> | undefined;
  const close = () => closed ??= server.shutdown();
  return {
    url: `http://127.0.0.1:${server.addr.port}/hook`,
    port: server.addr.port,
    deliveries,
    async count(count: number): Promise<Delivery[]> {
      while (deliveries.length < count) await new Promise<void>((resolve) => wake.push(resolve));
      return deliveries;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** The value of one metric line of `/metrics` (`name value`, no labels). */
export async function metric(origin: string, name: string): Promise<number> {
  const text = await (await fetch(`${origin}/metrics`)).text();
  const match = new RegExp(`^${name} (\\S+)$`, "m").exec(text);
  if (!match) throw new Error(`No metric ${name} in:\n${text}`);
  return Number(match[1]);
}

/** Polls `/metrics` until `name` satisfies `predicate` (counters have no event to wait on). */
export async function metricUntil(
  origin: string,
  name: string,
  predicate: (value: number) => boolean,
): Promise<number> {
  for (let tries = 0; tries < 1000; tries++) {
    const value = await metric(origin, name);
    if (predicate(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`Gave up waiting for ${name} (last ${await metric(origin, name)})`);
}
