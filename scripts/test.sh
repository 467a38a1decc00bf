#!/usr/bin/env bash
# The whole test suite: static checks, unit tests, the end-to-end suite on Bun, on Deno and on
# the compiled binary (run from an empty folder), and the browser tests. Installs what it needs.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"

[ -x node_modules/.bin/deno ] && [ -x node_modules/.bin/bun ] || npm install --no-audit --no-fund
need=()
command -v curl >/dev/null || need+=(curl)
command -v make >/dev/null || need+=(make) # the README's examples run make
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -x /usr/sbin/nginx ] || need+=(nginx)
[ -x /usr/sbin/haproxy ] || need+=(haproxy)
[ -x /usr/bin/redis-server ] || need+=(redis-server)
command -v tmux >/dev/null || need+=(tmux)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]} (Debian packages)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

echo "== static checks (npm run check, which runs deno task check: also proves both run)"
npm run check

echo "== unit and doc tests"
deno test -A --doc src/

# The end-to-end suite: real servers on each runtime and the binary.
e2e=(tests/pipe_test.ts tests/pipe_abuse_test.ts tests/job_test.ts tests/process_test.ts
  tests/access_test.ts tests/client_test.ts tests/static_test.ts tests/hub_test.ts
  tests/notify_test.ts tests/badge_test.ts tests/readme_test.ts tests/listen_test.ts
  tests/run_tty_test.ts)

for runtime in bun deno; do
  echo "== end-to-end on $runtime"
  RINGSIDE_TEST_RUNTIME=$runtime deno test -A "${e2e[@]}"
done

echo "== behind nginx and HAProxy, nodes joined through Redis, the installed command (default runtime)"
deno test -A tests/proxy_test.ts tests/cluster_bridge_test.ts tests/cluster_test.ts \
  tests/notify_cluster_test.ts tests/cli_install_test.ts

echo "== the binary"
npm run build
binary_dir=$(mktemp -d)
trap 'rm -rf "$binary_dir"' EXIT
cp dist/ringside "$binary_dir/ringside"
RINGSIDE_TEST_RUNTIME=binary RINGSIDE_BINARY="$binary_dir/ringside" deno test -A "${e2e[@]}"

echo "== browser"
for runtime in bun deno binary; do
  RINGSIDE_TEST_RUNTIME=$runtime RINGSIDE_BINARY="$binary_dir/ringside" deno test -A \
    tests/browser_test.ts tests/job_browser_test.ts tests/process_browser_test.ts \
    tests/badge_browser_test.ts
done
echo "all tests passed"
