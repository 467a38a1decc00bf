import assert from "node:assert/strict";
import { publicOrigin } from "./origin.ts";

function request(headers: Record<string, string>) {
  return new Request("http://10.0.0.5:8080/x", { headers });
}

Deno.test("publicOrigin() ignores forwarded headers unless the proxy is trusted", () => {
  const forwarded = request({ "x-forwarded-proto": "https", "x-forwarded-host": "a.example" });
  assert.equal(publicOrigin(forwarded, false), "http://10.0.0.5:8080");
  assert.equal(publicOrigin(forwarded, true), "https://a.example");
});

Deno.test("publicOrigin() takes the first hop and the standard Forwarded header", () => {
  assert.equal(
    publicOrigin(
      request({ "x-forwarded-proto": "https, http", "x-forwarded-host": "a:8443, b" }),
      true,
    ),
    "https://a:8443",
  );
  assert.equal(
    publicOrigin(request({ forwarded: 'for=1.2.3.4;proto=https;host="w.example"' }), true),
    "https://w.example",
  );
});

Deno.test("publicOrigin() ignores a scheme or host that is not one", () => {
  const bad = request({ "x-forwarded-proto": "javascript", "x-forwarded-host": "a/b@c" });
  assert.equal(publicOrigin(bad, true), "http://10.0.0.5:8080");
});
