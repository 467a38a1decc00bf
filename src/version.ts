/** The ringside version, printed by `--version` and `GET /version`. */
export const VERSION = "0.1.0";
