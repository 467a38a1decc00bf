import { verify } from "hono/jwt";
import type { Config } from "../config.ts";
import { timingSafeEqual } from "./bearer.ts";
import { parseScope, scopeAllows } from "./scope.ts";

/** What a valid token allows. */
export interface Grant {
  /** `kind:name` prefixes the token may touch; `null`: everything. */
  scope: readonly string[] | null;
  /** When the token stops being valid (ms since the epoch); `null`: never. */
  expiresAt: number | null;
  /** A `--read-token`: receives and spectates, never sends, publishes, runs or stops. */
  readOnly: boolean;
}

/** Options for {@linkcode Access}: the config's access flags. */
export type AccessOptions =
  & Pick<Config, "tokens" | "jwtSecret" | "private">
  & Partial<Pick<Config, "readTokens">>;

/**
 * Who may do what, from `--token`, `--jwt-secret` and `--private`. A token is one of the
 * configured ones (compared in constant time: no scope, no expiry) or an HS256 JWT signed with
 * the JWT secret and verified by `hono/jwt` (`exp` and `nbf` checked; an optional `scope`
 * claim limits it to some `kind:name` prefixes).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sign } from "hono/jwt";
 * import { Access } from "./access.ts";
 * const access = new Access({ tokens: ["t0k3n"], jwtSecret: "s", private: false });
 * assert.deepEqual(await access.verify("t0k3n"), { scope: null, expiresAt: null, readOnly: false });
 * assert.equal(await access.verify("wrong"), "Invalid token");
 * const grant = await access.verify(await sign({ scope: ["job:ci"] }, "s"));
 * assert.ok(typeof grant !== "string");
 * assert.equal(access.scopeRefusal(grant, ["job:ci/7"]), null);
 * assert.equal(access.scopeRefusal(grant, ["job:ci-other"]), "Token scope does not cover 'job:ci-other'");
 * ```
 */
export class Access {
  #options: AccessOptions;

  constructor(options: AccessOptions) {
    this.#options = options;
  }

  /** Whether any token can be valid here: a presented one is checked, a wrong one refused. */
  get checksTokens(): boolean {
    return this.guardsSending || (this.#options.readTokens ?? []).length > 0;
  }

  /** Whether sending and publishing need a token (`--token` or `--jwt-secret` given). */
  get guardsSending(): boolean {
    return this.#options.tokens.length > 0 || this.#options.jwtSecret !== "";
  }

  /** Whether receiving and spectating need a token too (`--private`). */
  get guardsWatching(): boolean {
    return this.#options.private;
  }

  /**
   * What `token` allows, or why it is refused (`Invalid token`, `Token expired`…). The reason
   * never quotes the token.
   */
  async verify(token: string): Promise<Grant | string> {
    let known = false;
    let reading = false;
    // Every configured token is compared, so the time taken does not say which one matched.
    for (const expected of this.#options.tokens) known = timingSafeEqual(token, expected) || known;
    for (const expected of this.#options.readTokens ?? []) {
      reading = timingSafeEqual(token, expected) || reading;
    }
    if (known) return { scope: null, expiresAt: null, readOnly: false };
    if (reading) return { scope: null, expiresAt: null, readOnly: true };
    if (this.#options.jwtSecret === "" || token.split(".").length !== 3) return "Invalid token";
    let payload: Record<string, unknown>;
    try {
      payload = await verify(token, this.#options.jwtSecret, "HS256");
    } catch (error) {
      // hono's messages quote the token: only the error's name is used.
      const name = (error as Error).name;
      if (name === "JwtTokenExpired") return "Token expired";
      if (name === "JwtTokenNotBefore") return "Token not valid yet";
      return "Invalid token";
    }
    try {
      const expiresAt = typeof payload.exp === "number" ? payload.exp * 1000 : null;
      return { scope: parseScope(payload.scope), expiresAt, readOnly: false };
    } catch (error) {
      return (error as Error).message;
    }
  }

  /**
   * Why `grant` may not touch `targets` (`kind:name` strings, all of which its scope must cover;
   * `null` for something server-wide that only an unscoped token may read), or `null` when it
   * may.
   */
  scopeRefusal(grant: Grant, targets: readonly string[] | null): string | null {
    if (targets === null) {
      return grant.scope === null ? null : "A scoped token cannot read the whole server's topics";
    }
    const outside = targets.find((target) => !scopeAllows(grant.scope, target));
    return outside === undefined ? null : `Token scope does not cover '${outside}'`;
  }
}
