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
}

/** The answer to a request: allowed with a grant, or refused with a status and one line. */
export type Verdict =
  | { ok: true; grant: Grant }
  | { ok: false; status: 401 | 403; message: string; challenge: string };

/** Options for {@linkcode Access}: the config's access flags. */
export type AccessOptions = Pick<Config, "tokens" | "jwtSecret" | "private">;

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
 * assert.equal((await access.authorize("t0k3n", ["pipe:a"])).ok, true);
 * assert.equal((await access.authorize("wrong", ["pipe:a"])).ok, false);
 * const jwt = await sign({ scope: ["job:ci/"] }, "s");
 * assert.equal((await access.authorize(jwt, ["job:ci/7"])).ok, true);
 * const outside = await access.authorize(jwt, ["pipe:a"]);
 * assert.equal(outside.ok ? 200 : outside.status, 403);
 * ```
 */
export class Access {
  #options: AccessOptions;

  constructor(options: AccessOptions) {
    this.#options = options;
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
    // Every configured token is compared, so the time taken does not say which one matched.
    for (const expected of this.#options.tokens) known = timingSafeEqual(token, expected) || known;
    if (known) return { scope: null, expiresAt: null };
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
      return { scope: parseScope(payload.scope), expiresAt };
    } catch (error) {
      return (error as Error).message;
    }
  }

  /**
   * Checks a request's token against what it wants to touch: `targets` are `kind:name`
   * strings (all must be in the token's scope), or `null` for something server-wide that
   * only an unscoped token may read.
   */
  async authorize(token: string | null, targets: readonly string[] | null): Promise<Verdict> {
    if (token === null) {
      return {
        ok: false,
        status: 401,
        message: "Missing token (send Authorization: Bearer TOKEN)",
        challenge: "Bearer",
      };
    }
    const grant = await this.verify(token);
    if (typeof grant === "string") {
      return { ok: false, status: 401, message: grant, challenge: 'Bearer error="invalid_token"' };
    }
    const outside = targets === null
      ? (grant.scope === null ? undefined : "the whole server")
      : targets.find((target) => !scopeAllows(grant.scope, target));
    if (outside !== undefined) {
      return {
        ok: false,
        status: 403,
        message: targets === null
          ? "A scoped token cannot read the whole server's topics"
          : `Token scope does not cover '${outside}'`,
        challenge: 'Bearer error="insufficient_scope"',
      };
    }
    return { ok: true, grant };
  }
}
