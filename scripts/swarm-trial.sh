#!/usr/bin/env bash
# Deploys docker-compose.yml as a 3-replica Swarm stack on this node, counts how requests spread over
# the replicas, then runs `docker service update --force` (start-first) under steady load and counts
# every failed request. Removes the stack afterwards, and leaves the swarm if it joined it.
#
#   scripts/swarm-trial.sh                   # needs docker (swarm mode) and node
#
# Traffic goes through the routing mesh (127.0.0.1:SWARM_PORT) when it answers. A kernel without IPVS
# has no routing mesh and no service VIP; the client then runs as a one-off service on the stack's
# network and picks a replica from `tasks.errcat` DNS for each request, as a DNS-balanced client would.
set -euo pipefail

cd "$(dirname "$0")/.."
IMAGE=${IMAGE:-errcat:swarm-trial}
STACK=${STACK:-errcattrial}
PORT=${SWARM_PORT:-18090}
REPLICAS=3
SERVICE=${STACK}_errcat
CLIENT=${STACK}-client
TMP=$(mktemp -d)
joined=0
failures=0

leftovers() {
  docker ps -aq --filter "label=com.docker.stack.namespace=$STACK" 2>/dev/null || true
  docker ps -aq --filter "label=com.docker.swarm.service.name=$CLIENT" 2>/dev/null || true
}
cleanup() {
  docker service rm "$CLIENT" >/dev/null 2>&1 || true
  docker stack rm "$STACK" >/dev/null 2>&1 || true
  # stack rm returns before its containers and network are gone: a deploy right after would fail
  # on the network, and leaving the swarm now would strand the containers.
  for _ in $(seq 1 30); do
    [[ -z $(leftovers) &&
       -z $(docker network ls -q --filter "name=${STACK}_default" 2>/dev/null) ]] && break
    sleep 1
  done
  if ((joined)); then docker swarm leave --force >/dev/null 2>&1 || true; fi
  leftovers | xargs -r docker rm -f >/dev/null 2>&1 || true
  rm -rf "$TMP"
}
trap cleanup EXIT

ok() { printf 'ok    %s\n' "$1"; }
miss() { printf 'FAIL  %s\n' "$1"; failures=$((failures + 1)); }
fatal() { printf 'FAIL  %s\n' "$1"; exit 1; }

# The client: POST /classify with a fresh connection per request (so each one is balanced anew),
# for DURATION_S seconds or MAX_REQUESTS requests, whichever comes first; prints one RESULT line.
# Its x-request-id carries PHASE, so each replica's log lines of a phase can be counted.
read -r -d '' CLIENT_JS <<'JS' || true
const http = require('node:http')
const dns = require('node:dns').promises
const env = process.env
const deadline = Date.now() + Number(env.DURATION_S) * 1000
const max = Number(env.MAX_REQUESTS)
const body = JSON.stringify({ status: 'error', error: { code: 'BACKEND_RATE_LIMITED', message: 'Backend rate limit exceeded' }, meta: { request_id: 'req_abc123' } })
const stats = { requests: 0, ok: 0, wrong_answer: 0, non_200: {}, errors: {} }
const bump = (map, key) => { map[key] = (map[key] ?? 0) + 1 }
let turn = 0
async function target () {
  if (!env.TASKS_NAME) return env.TARGET_HOST
  const ips = (await dns.resolve4(env.TASKS_NAME)).sort()
  return ips[turn++ % ips.length]
}
function once (host, id) {
  return new Promise((resolve) => {
    let settled = false
    const settle = (fn) => { if (!settled) { settled = true; fn(); resolve() } }
    const req = http.request({
      host, port: Number(env.TARGET_PORT), method: 'POST', path: '/classify?status=429', agent: false, timeout: 5000,
      headers: { 'content-type': 'application/json', 'x-upstream-retry-after': '7', 'x-request-id': id }
    }, (res) => {
      let data = ''
      res.setEncoding('utf8')
      res.on('data', (chunk) => { data += chunk })
      res.on('end', () => settle(() => {
        if (res.statusCode !== 200) bump(stats.non_200, res.statusCode)
        else if (!data.includes('"normalized_code":"rate_limited"')) stats.wrong_answer++
        else stats.ok++
      }))
      res.on('error', (error) => settle(() => bump(stats.errors, error.code ?? error.message)))
    })
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })))
    req.on('error', (error) => settle(() => bump(stats.errors, error.code ?? error.message)))
    req.end(body)
  })
}
async function worker () {
  while (Date.now() < deadline && stats.requests < max) {
    const id = `${env.PHASE}-${++stats.requests}`
    let host
    try { host = await target() } catch (error) { bump(stats.errors, `dns ${error.code}`); continue }
    await once(host, id)
    await new Promise((resolve) => setTimeout(resolve, Number(env.PAUSE_MS)))
  }
}
Promise.all(Array.from({ length: 4 }, worker)).then(() => console.log('RESULT ' + JSON.stringify(stats)))
JS

# Runs the client for phase $1 ($2 seconds at most, $3 requests at most, $4 ms between a worker's
# requests); its RESULT line goes to $TMP/$1.result.
run_client() {
  local phase=$1 duration=$2 max=$3 pause=$4
  if [[ $mode == mesh ]]; then
    PHASE=$phase DURATION_S=$duration MAX_REQUESTS=$max PAUSE_MS=$pause TARGET_HOST=127.0.0.1 TARGET_PORT=$PORT \
      node -e "$CLIENT_JS" >"$TMP/$phase.result"
  else
    docker service rm "$CLIENT" >/dev/null 2>&1 || true
    # --no-healthcheck: the image's HEALTHCHECK asks for a server the client does not run, and Swarm
    # kills an unhealthy task (exit 137) 40 s in.
    docker service create -d --quiet --no-resolve-image --no-healthcheck --name "$CLIENT" --network "${STACK}_default" --restart-condition none \
      -e PHASE="$phase" -e DURATION_S="$duration" -e MAX_REQUESTS="$max" -e PAUSE_MS="$pause" \
      -e TASKS_NAME=tasks.errcat -e TARGET_PORT=8080 --entrypoint node "$IMAGE" -e "$CLIENT_JS" >/dev/null
    local state
    for _ in $(seq 1 $((duration + 60))); do
      state=$(docker service ps --format '{{.CurrentState}}' "$CLIENT" | head -1)
      [[ $state == Complete* || $state == Failed* || $state == Rejected* ]] && break
      sleep 1
    done
    docker logs "$(docker ps -aq --filter "label=com.docker.swarm.service.name=$CLIENT" | head -1)" 2>&1 |
      grep '^RESULT ' >"$TMP/$phase.result" || true
  fi
  sed -i 's/^RESULT //' "$TMP/$phase.result"
  [[ -s $TMP/$phase.result ]] || fatal "the $phase client printed no result"
}

# Requests of a phase per task, from the replicas' own log lines. `docker logs` of each task's
# container, since `docker service logs` hung here (Docker 20.10); so this counts the tasks of this
# node only, which on a one-node swarm is all of them.
per_task() {
  local container task count out=
  for container in $(docker ps -aq --filter "label=com.docker.swarm.service.name=$SERVICE"); do
    task=$(docker inspect --format '{{index .Config.Labels "com.docker.swarm.task.name"}}' "$container")
    task=${task#"$SERVICE".}
    count=$(docker logs "$container" 2>/dev/null | grep -F "\"request_id\":\"$1-" | grep -cF '"route":"/classify"' || true)
    if ((count > 0)); then out+="${out:+, }task ${task:0:14} $count"; fi
  done
  echo "$out"
}
logged() { per_task "$1" | tr ',' '\n' | awk '{ n += $NF } END { print n + 0 }'; }

# shellcheck disable=SC2016 # a JavaScript template literal, not shell
summary() { node -e 'const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))
  console.log(`${s.requests} requests, ${s.ok} ok, ${s.requests - s.ok} failed (non-200: ${JSON.stringify(s.non_200)}, connection errors: ${JSON.stringify(s.errors)}, wrong answers: ${s.wrong_answer})`)' "$1"; }
failed() { node -e 'const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log(s.requests - s.ok)' "$1"; }

# --- swarm, image, stack -----------------------------------------------------------------------
if [[ $(docker info --format '{{.Swarm.LocalNodeState}}') != active ]]; then
  docker swarm init --advertise-addr 127.0.0.1 >/dev/null
  joined=1
fi
ok "swarm: $(docker info --format '{{.Swarm.Nodes}}') node(s), this one a manager"
docker build --force-rm -t "$IMAGE" . >"$TMP/build.log" 2>&1 || { tail -30 "$TMP/build.log"; fatal "docker build -t $IMAGE ."; }
ok "docker build -t $IMAGE ."
# --resolve-image never: the image is local, there is no registry to ask.
ERRCAT_IMAGE=$IMAGE ERRCAT_PORT=$PORT ERRCAT_REPLICAS=$REPLICAS \
  docker stack deploy --resolve-image never -c docker-compose.yml "$STACK" >"$TMP/deploy.log" 2>&1 || { cat "$TMP/deploy.log"; fatal "docker stack deploy"; }
replicas=
for _ in $(seq 1 90); do
  replicas=$(docker service ls --filter "name=$SERVICE" --format '{{.Replicas}}')
  [[ $replicas == "$REPLICAS/$REPLICAS" ]] && break
  sleep 1
done
[[ $replicas == "$REPLICAS/$REPLICAS" ]] || fatal "stack deploy: $replicas replicas running after 90 s"
ok "docker stack deploy: $replicas replicas running and healthy"

# --- the routing mesh --------------------------------------------------------------------------
mode=overlay
for _ in $(seq 1 10); do
  if [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$PORT/readyz" || true) == 200 ]]; then mode=mesh; break; fi
  sleep 1
done
if [[ $mode == mesh ]]; then
  ok "routing mesh: 127.0.0.1:$PORT/readyz 200"
else
  # Not a failure of errcat's: the host cannot do it. Printed with its cause, and the rest still runs.
  printf 'n/a   routing mesh: 127.0.0.1:%s: %s\n' "$PORT" "$(curl -sS -o /dev/null --max-time 2 "http://127.0.0.1:$PORT/readyz" 2>&1 || true)"
  [[ -e /proc/net/ip_vs ]] || echo "      this kernel has no IPVS (/proc/net/ip_vs is missing): no routing mesh, no service VIP"
  echo "      the client runs on the stack's network instead, balancing over tasks.errcat DNS"
fi

# --- distribution ------------------------------------------------------------------------------
run_client spread 60 3000 0
if [[ $(failed "$TMP/spread.result") == 0 ]]; then ok "spread: $(summary "$TMP/spread.result")"; else miss "spread: $(summary "$TMP/spread.result")"; fi
tasks=$(per_task spread)
count=$(awk -F', ' '{ print NF }' <<<"$tasks")
if [[ $count == "$REPLICAS" ]]; then ok "spread over $count replicas (requests per task): $tasks"; else miss "spread over $count replica(s): $tasks"; fi

# --- a start-first rolling update under load ---------------------------------------------------
before=$(docker service ps -q --no-trunc --filter desired-state=running "$SERVICE" | sort)
run_client update 100 100000 20 &
client=$!
sleep 5
start=$(date +%s)
timeout 240 docker service update --force --detach=false "$SERVICE" >"$TMP/update.log" 2>&1 || { tail -5 "$TMP/update.log"; miss "docker service update --force did not converge"; }
took=$(($(date +%s) - start))
wait "$client"
after=$(docker service ps -q --no-trunc --filter desired-state=running "$SERVICE" | sort)
kept=$(comm -12 <(echo "$before") <(echo "$after"))
state=$(docker service inspect --format '{{.UpdateStatus.State}}' "$SERVICE")
if [[ $state == completed && -z $kept && $(wc -l <<<"$after") == "$REPLICAS" && $took -lt 95 ]]; then
  ok "docker service update --force (start-first): $state in $took s, every task replaced, under load from 5 s before to past its end"
else
  miss "docker service update: state $state in $took s; tasks not replaced: ${kept:-none}"
fi
if [[ $(failed "$TMP/update.result") == 0 ]]; then ok "during the update: $(summary "$TMP/update.result")"; else miss "during the update: $(summary "$TMP/update.result")"; fi
served=
IFS=',' read -ra entries <<<"$(per_task update)"
for entry in "${entries[@]}"; do
  entry=${entry# }
  id=${entry#task *.}
  if [[ $before == *"${id%% *}"* ]]; then served+="${served:+, }$entry (old)"; else served+="${served:+, }$entry (new)"; fi
done
ok "during the update, served per task: $served; logged in all: $(logged update)"

if ((failures > 0)); then
  echo "$failures check(s) failed"
  exit 1
fi
if [[ $mode == mesh ]]; then echo "all checks passed"; else echo "all checks passed (without the routing mesh)"; fi
