#!/usr/bin/env bash
# Builds the errcat image and checks it for real, with curl on the host: a read-only container
# serving a mounted catalog, SIGHUP reload, non-root, no devDependencies, a prompt clean stop,
# then the same image through docker-compose.yml. Prints one line per check; exits 1 on a miss.
#
#   scripts/container-smoke.sh              # needs docker, docker-compose (or docker compose) and curl
#   SMOKE_PORT=19080 IMAGE=errcat:test scripts/container-smoke.sh
set -euo pipefail

cd "$(dirname "$0")/.."
IMAGE=${IMAGE:-errcat:smoke}
PORT=${SMOKE_PORT:-18080}          # not 8080, so a running errcat never collides
COMPOSE_PORT=$((PORT + 1))
NAME=errcat-smoke-$$
PROJECT=errcatsmoke$$
BASE=http://127.0.0.1:$PORT
# Compose v1 applies the `deploy` limits only with --compatibility; v2 takes the flag too.
if command -v docker-compose >/dev/null; then COMPOSE=(docker-compose); else COMPOSE=(docker compose); fi
COMPOSE+=(--compatibility -p "$PROJECT" -f docker-compose.yml)
TMP=$(mktemp -d)
failures=0

cleanup() {
  docker rm -f "$NAME" >/dev/null 2>&1 || true
  ERRCAT_IMAGE=$IMAGE ERRCAT_PORT=127.0.0.1:$COMPOSE_PORT "${COMPOSE[@]}" down --timeout 10 >/dev/null 2>&1 || true
  rm -rf "$TMP"
}
trap cleanup EXIT

ok() { printf 'ok    %s\n' "$1"; }
miss() { printf 'FAIL  %s\n' "$1"; failures=$((failures + 1)); }
# A failed precondition makes the checks after it meaningless.
fatal() { printf 'FAIL  %s\n' "$1"; exit 1; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# Polls until /readyz answers 200, at most $2 seconds.
wait_ready() {
  local url=$1 deadline=$(($(date +%s) + $2))
  while (($(date +%s) < deadline)); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url/readyz" || true) == 200 ]] && return 0
    sleep 0.5
  done
  return 1
}

# The README's scaigrid example: a rate limit with the delay the upstream header asks for.
classify() {
  curl -s --max-time 5 "$1/classify?status=429" -H 'content-type: application/json' -H 'x-upstream-retry-after: 7' \
    --data '{"status":"error","error":{"code":"BACKEND_RATE_LIMITED","message":"Backend rate limit exceeded"},"meta":{"request_id":"req_abc123"}}'
}
check_classify() {
  local body
  body=$(classify "$1" || true)
  if [[ $body == *'"normalized_code":"rate_limited"'* && $body == *'"source":"scaigrid"'* && $body == *'"delay_ms":7000'* ]]; then
    ok "$2: POST /classify -> rate_limited, source scaigrid, retry after 7000 ms"
  else
    miss "$2: POST /classify answered: ${body:0:300}"
  fi
}

catalog_version() { curl -s --max-time 2 -o /dev/null -D - "$BASE/healthz" | tr -d '\r' | sed -n 's/^x-catalog-version: //Ip'; }

# --- build -------------------------------------------------------------------------------------
start=$(now_ms)
docker build --force-rm -t "$IMAGE" . >"$TMP/build.log" 2>&1 || { tail -30 "$TMP/build.log"; fatal "docker build -t $IMAGE ."; }
ok "docker build -t $IMAGE . ($(( ($(now_ms) - start) / 1000 )) s)"
base=$(sed -n 's/^FROM \([^ ]*\) AS runtime$/\1/p' Dockerfile)
size=$(docker image inspect --format '{{.Size}}' "$IMAGE")
base_size=$(docker image inspect --format '{{.Size}}' "$base" 2>/dev/null || echo 0)
ok "image size: $((size / 1000000)) MB ($size bytes; $base: $((base_size / 1000000)) MB, errcat's layers: $(((size - base_size) / 1000000)) MB)"

# The lockfile marks what only development needs ("dev": true); some devDependencies, such as
# ajv, are also production dependencies of production dependencies and rightly stay.
if docker run --rm --entrypoint node "$IMAGE" -e '
  const { packages } = require("./package-lock.json")
  const found = Object.keys(packages).filter((path) => packages[path].dev && require("fs").existsSync(path))
  if (found.length > 0) { console.log(found.join(" ")); process.exit(1) }'; then
  ok "no development-only package in the image's node_modules (package-lock.json's \"dev\": true)"
else
  miss "development-only packages in the image (listed above)"
fi
if docker run --rm --entrypoint sh "$IMAGE" -c 'test ! -e node_modules/tap && test ! -e node_modules/typescript && test ! -e src'; then
  ok "no tap, typescript or TypeScript sources in the image"
else
  miss "tap, typescript or src/ is in the image"
fi

# --- docker run: read-only root, catalog mounted read-only from a copy --------------------------
cp -R catalog "$TMP/catalog"
chmod -R a+rX "$TMP"   # mktemp -d is 0700: the container's node user must read the copy
docker run -d --name "$NAME" --read-only --tmpfs /tmp \
  -v "$TMP/catalog:/app/catalog:ro" -p "127.0.0.1:$PORT:8080" "$IMAGE" >/dev/null
wait_ready "$BASE" 30 || { docker logs "$NAME" 2>&1 | tail -20; fatal "docker run: /readyz did not answer 200 within 30 s"; }
ok "docker run --read-only --tmpfs /tmp, catalog mounted :ro: /readyz 200"
check_classify "$BASE" "docker run"

uid=$(docker exec "$NAME" id -u)
if [[ $uid != 0 ]]; then ok "runs as uid $uid ($(docker exec "$NAME" id -un)), not root"; else miss "runs as root"; fi
if docker exec "$NAME" sh -c 'touch /app/x' 2>/dev/null; then miss "the root filesystem is writable"; else ok "the root filesystem is read-only"; fi

# --- SIGHUP reload of the mounted catalog ------------------------------------------------------
before=$(catalog_version)
sed -i 's/^    title: Upstream provider rate-limited ScaiGrid$/    title: Smoke-test title after SIGHUP/' "$TMP/catalog/scaigrid.yaml"
grep -q 'Smoke-test title after SIGHUP' "$TMP/catalog/scaigrid.yaml" || fatal "could not edit the catalog copy (the entry's title changed?)"
docker kill -s HUP "$NAME" >/dev/null
after=$before
for _ in $(seq 1 20); do
  after=$(catalog_version)
  [[ -n $after && $after != "$before" ]] && break
  sleep 0.5
done
code=$(curl -s --max-time 2 "$BASE/codes/BACKEND_RATE_LIMITED?source=scaigrid")
if [[ -n $before && $after != "$before" && $code == *'Smoke-test title after SIGHUP'* && $(curl -s "$BASE/readyz") == *"$after"* ]]; then
  ok "SIGHUP: x-catalog-version $before -> $after, /readyz and GET /codes/BACKEND_RATE_LIMITED show the edit"
else
  miss "SIGHUP: version $before -> $after; /codes answered: ${code:0:200}"
fi

# --- healthcheck, then a stop within 5 s with exit code 0 --------------------------------------
health=starting
for _ in $(seq 1 40); do
  health=$(docker inspect --format '{{.State.Health.Status}}' "$NAME")
  [[ $health != starting ]] && break
  sleep 0.5
done
if [[ $health == healthy ]]; then ok "HEALTHCHECK (node -> /healthz): healthy"; else miss "HEALTHCHECK: $health after 20 s"; fi

start=$(now_ms)
docker stop -t 10 "$NAME" >/dev/null
elapsed=$(($(now_ms) - start))
exit_code=$(docker inspect --format '{{.State.ExitCode}}' "$NAME")
if ((elapsed < 5000)) && [[ $exit_code == 0 ]]; then
  ok "docker stop: ${elapsed} ms, exit code $exit_code"
else
  miss "docker stop: ${elapsed} ms (limit 5000), exit code $exit_code"
fi
docker rm "$NAME" >/dev/null

# --- docker-compose.yml ------------------------------------------------------------------------
export ERRCAT_IMAGE=$IMAGE ERRCAT_PORT=127.0.0.1:$COMPOSE_PORT
"${COMPOSE[@]}" up -d --no-build >"$TMP/compose.log" 2>&1 || { cat "$TMP/compose.log"; fatal "${COMPOSE[*]:0:2} up -d"; }
wait_ready "http://127.0.0.1:$COMPOSE_PORT" 30 || { "${COMPOSE[@]}" logs --tail 20; fatal "compose: /readyz did not answer 200 within 30 s"; }
ok "${COMPOSE[*]:0:2} up -d: /readyz 200"
check_classify "http://127.0.0.1:$COMPOSE_PORT" "compose"
container=$("${COMPOSE[@]}" ps -q errcat 2>/dev/null)
limits=$(docker inspect --format 'read_only={{.HostConfig.ReadonlyRootfs}} memory={{.HostConfig.Memory}} nano_cpus={{.HostConfig.NanoCpus}} restart={{.HostConfig.RestartPolicy.Name}}' "$container")
if [[ $limits == 'read_only=true memory=268435456 nano_cpus=1000000000 restart=on-failure' ]]; then
  ok "compose: $limits"
else
  miss "compose settings: $limits"
fi
if docker exec "$container" sh -c 'touch /tmp/x && ! touch /app/x' 2>/dev/null; then
  ok "compose: /tmp writable (tmpfs), the rest read-only"
else
  miss "compose: /tmp is not writable, or /app is"
fi
start=$(now_ms)
"${COMPOSE[@]}" down --timeout 10 >/dev/null 2>&1
ok "${COMPOSE[*]:0:2} down: $(($(now_ms) - start)) ms"

if ((failures > 0)); then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all checks passed"
