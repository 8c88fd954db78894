#!/usr/bin/env bash
# docs/deployment.md and README's walkthrough, followed step by step on 127.0.0.1:
#
#   ONSITE_BIN=target/debug/onsite .ci/deployment.sh
#
# Every block marked `<!-- step: NAME -->` in README.md and docs/deployment.md is taken
# from the file and run here, in this shell, in the order of the doc, from the repository
# root; a marked step this script does not run, or a step it asks for that the doc lost,
# fails the check. The doc's paths (its `paths` step) are replaced by temporary
# directories, its `onsite_user` by the user running this, and `systemctl stop|start
# onsite` by stopping (SIGTERM) or starting the systemd unit's own ExecStart line. So:
#
#   1. README's walkthrough as written: a server whose first administrator comes from the
#      environment, accounts and a job over the JSON API, a phone through the Python
#      bindings (uniffi/generate.sh: a no-op build after CI's tests);
#   2. docs/deployment.md: the binary installed, the directories, the sample configuration
#      (deploy/onsite.toml, edited as the doc says) with a signing-secret file, `onsite
#      config show`, the first administrator by `onsite admin create-user`, the server
#      started from deploy/onsite.service's ExecStart, README's steps 2-4 against it, a
#      backup while it runs (by hand, and by deploy/onsite-backup.service's command), the
#      phone's work after the backup, the doc's restore, and that work back on the server
#      once the phone has repaired it; then the sample's [tls] section with a certificate
#      made here: HTTPS served, plain HTTP not;
#   3. `systemd-analyze verify` of the units, and `docker build` of deploy/Dockerfile when
#      a Docker daemon answers and the base images can be pulled. What could not be checked
#      is said at the end, in capitals, never passed over in silence.
#
# Builds nothing but the bindings; runs as root (as CI does); needs python3, and installs
# curl, jq and openssl from Debian's packages when they are missing.
# shellcheck disable=SC2154 # the variables of README's and the doc's steps, set by their eval
set -Eeuo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."
ci_root=$PWD
: "${ONSITE_BIN:?set ONSITE_BIN to the onsite binary, e.g. target/debug/onsite}"
ci_bin=$(realpath "$ONSITE_BIN")
# The server reads ONSITE_* variables: it gets only those a step gives it, as an
# operator's fresh shell would (.ci/run exports ONSITE_TEST_DATABASE_URL, for one).
while read -r ci_var; do unset "$ci_var"; done < <(compgen -e | grep '^ONSITE_' || true)
# The doc's steps give files to root and run commands as the server's user (runuser).
[ "$(id -u)" -eq 0 ] || { echo "deployment: run as root, as CI does" >&2; exit 1; }
command -v python3 >/dev/null || { echo "deployment: python3 is needed" >&2; exit 1; }
for ci_tool in curl jq openssl; do
    if ! command -v "$ci_tool" >/dev/null; then
        echo "deployment: installing $ci_tool from Debian's packages" >&2
        apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$ci_tool" >&2
    fi
done

ci_started=$SECONDS
ci_work=$(mktemp -d /tmp/onsite-deployment.XXXXXX)
# Temporary files of the steps (README's phone directory, for one) go with the rest.
export TMPDIR=$ci_work/tmp
mkdir -p "$TMPDIR"
ci_server_pid=""
ci_not_checked=()
ci_ran=()
ci_passed=0

# SIGTERM, as systemctl stop sends it; the server has 30 s to drain and exit (its status is
# returned), else it is killed and the stop fails.
ci_stop_server() {
    [ -n "$ci_server_pid" ] || return 0
    local pid=$ci_server_pid status=0
    ci_server_pid=""
    kill -TERM "$pid" 2>/dev/null || true
    if ! timeout 30 tail --pid="$pid" -f /dev/null; then
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        return 124
    fi
    wait "$pid" || status=$?
    return "$status"
}
ci_cleanup() {
    ci_stop_server || true
    rm -rf "$ci_work"
}
trap ci_cleanup EXIT

ci_logs() {
    local log
    for log in "$ci_work"/*.log; do
        if [ -f "$log" ]; then
            echo "--- $log" >&2
            tail -n 30 "$log" >&2
        fi
    done
}
ci_fail() {
    trap - ERR
    echo "deployment: FAILED: $*" >&2
    ci_logs
    # Said once: a failure inside $(...) also fails the command around it.
    touch "$ci_work/failed"
    exit 1
}
# A command of a step that fails stops the check (errexit), saying where.
ci_current=""
trap '[ -e "$ci_work/failed" ] || { echo "deployment: FAILED at line $LINENO${ci_current:+ in the step $ci_current}" >&2; ci_logs; touch "$ci_work/failed"; }' ERR
ci_ok() {
    ci_passed=$((ci_passed + 1))
    echo "ok: $*"
}

ci_free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits for the line the server prints once it listens, in its log from line FROM on (at
# most 30 s; `tail --pid` ends the wait at once if the server dies), then asks /readyz once.
ci_wait_ready() {
    local base=$1 log=$2 from=${3:-1}
    if ! timeout 30 grep -q -m1 "^onsite listening on " \
        <(tail -n "+$from" -F --pid="$ci_server_pid" "$log" 2>/dev/null); then
        kill -0 "$ci_server_pid" 2>/dev/null || ci_fail "the server exited before it was ready (log: $log)"
        ci_fail "the server did not say it listens within 30 s (log: $log)"
    fi
    [ "$(curl -fsS "$base/readyz")" = ready ] || ci_fail "$base/readyz did not answer ready"
}

# The shell block that follows `<!-- step: NAME -->` in FILE (exactly one such marker).
ci_extract() {
    local file=$1 name=$2
    local count
    count=$(grep -c -x "<!-- step: $name -->" "$file" || true)
    [ "$count" = 1 ] || ci_fail "$file has $count markers <!-- step: $name --> (want 1)"
    awk -v marker="<!-- step: $name -->" '
        $0 == marker { found = 1; next }
        found == 1 { if ($0 != "```sh") { exit 2 } found = 2; next }
        found == 2 { if ($0 == "```") { exit 0 } print }
    ' "$file" || ci_fail "the step $name of $file is not followed by a \`\`\`sh block"
}

# A step's text with each `FROM=>TO` replacement made; each must replace something.
ci_replace() {
    local text=$1
    shift
    local pair from to
    for pair in "$@"; do
        from=${pair%%=>*}
        to=${pair#*=>}
        [[ $text == *"$from"* ]] || ci_fail "a step no longer contains '$from'"
        text=${text//"$from"/"$to"}
    done
    printf '%s\n' "$text"
}

# Runs a step in this shell (its variables and functions stay for the next steps).
ci_step() {
    local file=$1 name=$2 text
    shift 2
    text=$(ci_extract "$file" "$name")
    text=$(ci_replace "$text" "$@")
    echo "== $file: $name"
    ci_current="$file:$name"
    eval "$text"
    ci_current=""
    ci_ran+=("$file:$name")
    ci_ok "$file: $name"
}

# The doc's `systemctl stop|start onsite`: the unit's own ExecStart, with the paths of
# this run, as the unit's user would run it.
ci_unit_exec() {
    local unit=$1 line
    shift
    line=$(sed -n 's/^ExecStart=//p' "$unit")
    [ -n "$line" ] || ci_fail "$unit has no ExecStart"
    # systemd's escapes: %% is a %, $$ a $.
    line=${line//%%/%}
    line=${line//\$\$/\$}
    ci_replace "$line" "/usr/local/bin/onsite=>$bindir/onsite" "$@"
}
ci_start_unit() {
    local command
    command=$(ci_unit_exec deploy/onsite.service "/etc/onsite=>$etc")
    echo "starting: $command"
    # The log is kept across restarts: this start's lines begin after the ones there now.
    local from=1
    [ -f "$ci_work/server.log" ] && from=$(($(wc -l <"$ci_work/server.log") + 1))
    # exec: the background job is the server itself, so SIGTERM reaches it.
    (eval "exec $command") >>"$ci_work/server.log" 2>&1 &
    ci_server_pid=$!
    ci_wait_ready "$url" "$ci_work/server.log" "$from"
}
systemctl() {
    case "$*" in
    "stop onsite")
        ci_stop_server || ci_fail "the server did not exit 0 on SIGTERM"
        ci_ok "SIGTERM: the server drained and exited 0"
        ;;
    "start onsite") ci_start_unit ;;
    *) ci_fail "a step runs 'systemctl $*', which this check does not stand in for" ;;
    esac
}
# README's `cargo run … -- ARGS`: the binary under test with ARGS (never a release build
# here); any other cargo command in a step is not expected.
cargo() {
    local prefix="run --release -p onsite-server --bin onsite --"
    [[ "$*" == "$prefix"* ]] || ci_fail "a step runs 'cargo $*'"
    shift 7
    exec "$ci_bin" "$@"
}

# A phone through the Python bindings, on a data directory that outlives each call.
cat >"$ci_work/phone.py" <<'EOF'
"""phone.py URL USER PASSWORD DIR sign-in | work JOB | sync: one device of the check."""
import asyncio, json, sys
import onsite

async def main(url, user, password, data, command, *args):
    phone = onsite.OnsiteClient.open(data)
    if command == "sign-in":
        await phone.sign_in(url, user, password)
        await phone.sync()
        print(json.dumps({"jobs": [j.id for j in phone.list_jobs(onsite.JobFilter())]}))
    elif command == "work":
        [job] = args
        phone.arrive(job)
        note = phone.add_note(job, "after the backup")
        await phone.sync()
        assert phone.pending_changes() == 0, "the work is acknowledged"
        print(json.dumps({"note": note}))
    elif command == "sync":
        report = await phone.sync()
        conflicts = phone.conflicts()
        assert conflicts == [], conflicts
        print(json.dumps({"uploaded": report.uploaded, "pending": phone.pending_changes()}))

asyncio.run(main(*sys.argv[1:]))
EOF

readme=README.md
doc=docs/deployment.md

echo "== 1. README's walkthrough"
ci_port=$(ci_free_port)
ci_url=http://127.0.0.1:$ci_port
server_step=$(ci_extract "$readme" walkthrough-server)
(
    export ONSITE_LISTEN=127.0.0.1:$ci_port ONSITE_DATA_DIR=$ci_work/walkthrough-data
    eval "$server_step"
) >"$ci_work/walkthrough-server.log" 2>&1 &
ci_server_pid=$!
ci_ran+=("$readme:walkthrough-server")
ci_wait_ready "$ci_url" "$ci_work/walkthrough-server.log"
grep -q "created the first administrator" "$ci_work/walkthrough-server.log" ||
    ci_fail "the walkthrough's server did not create its first administrator"
ci_ok "$readme: walkthrough-server (first administrator from the environment)"
ci_readme_client_steps() {
    ci_step "$readme" walkthrough-accounts "url=http://127.0.0.1:8080=>url=$1"
    ci_step "$readme" walkthrough-job
    ci_step "$readme" walkthrough-device
    local seen
    seen=$(curl -fsS "$url/v1/jobs/$job" -H "Authorization: Bearer $office")
    [ "$(jq -r .status <<<"$seen")" = accepted ] || ci_fail "the job is not accepted: $seen"
    [ "$(jq -r .assignee <<<"$seen")" = "$wang" ] || ci_fail "the job is not Wang's: $seen"
    jq -e '[.document.notes[].text] | length == 1' <<<"$seen" >/dev/null ||
        ci_fail "the phone's note did not reach the server: $seen"
    ci_ok "the back office sees the job accepted by the phone, with its note"
}
ci_readme_client_steps "$ci_url"
ci_stop_server || ci_fail "the walkthrough's server did not exit 0 on SIGTERM"
# What the walkthrough's server made the deployed server needs again: the administrator's
# and the technician's passwords, as README gives them.
ci_admin_password=$(sed -n "s/.*ONSITE_ADMIN_PASSWORD='\([^']*\)'.*/\1/p" <<<"$server_step")
ci_wang_password=$(ci_extract "$readme" walkthrough-accounts |
    sed -n 's/.*"username": "wang", "password": "\([^"]*\)".*/\1/p')
if [ -z "$ci_admin_password" ] || [ -z "$ci_wang_password" ]; then
    ci_fail "README's passwords not found"
fi

echo "== 2. docs/deployment.md"
ci_port=$(ci_free_port)
ci_step "$doc" paths
# The doc's paths, here: every variable of its `paths` step gets a value of this run.
declare -A ci_paths=(
    [onsite_user]=$(id -un)
    [bindir]=$ci_work/usr/local/bin
    [etc]=$ci_work/etc/onsite
    [data]=$ci_work/var/lib/onsite
    [backups]=$ci_work/var/backups/onsite
    [url]=http://127.0.0.1:$ci_port
)
ci_doc_vars=$(ci_extract "$doc" paths | sed -n 's/^\([a-z_]*\)=.*/\1/p' | sort | tr '\n' ' ')
ci_our_vars=$(printf '%s\n' "${!ci_paths[@]}" | sort | tr '\n' ' ')
[ "$ci_doc_vars" = "$ci_our_vars" ] ||
    ci_fail "the doc's paths are ($ci_doc_vars), this check replaces ($ci_our_vars)"
for ci_var in "${!ci_paths[@]}"; do printf -v "$ci_var" '%s' "${ci_paths[$ci_var]}"; done
mkdir -p "$bindir" "$(dirname "$etc")" "$(dirname "$data")" "$(dirname "$backups")"
PATH="$bindir:$PATH"

ci_step "$doc" install-binary "target/release/onsite=>$ci_bin"
[ "$(command -v onsite)" = "$bindir/onsite" ] || ci_fail "onsite is not the installed binary"
ci_step "$doc" directories
ci_step "$doc" config
# The sample holds every default (but its data directory): read, it changes nothing.
ci_defaults=$("$ci_bin" config show --data-dir /var/lib/onsite)
ci_sample=$("$ci_bin" config show --config deploy/onsite.toml)
if [ "$ci_defaults" != "$ci_sample" ]; then
    diff <(echo "$ci_defaults") <(echo "$ci_sample") || true
    ci_fail "deploy/onsite.toml does not say the defaults"
fi
ci_ok "deploy/onsite.toml says the defaults"
# The operator's edit of the sample: this run's port and paths, a time zone, the secret file.
ci_conf=$etc/onsite.toml
sed -i -e "s|^listen = .*|listen = \"127.0.0.1:$ci_port\"|" \
    -e "s|^timezone = .*|timezone = \"Asia/Shanghai\"|" \
    -e "s|^# jwt_secret_file = .*|jwt_secret_file = \"/etc/onsite/jwt-secret\"|" \
    -e "s|/var/lib/onsite|$data|g" -e "s|/etc/onsite|$etc|g" "$ci_conf"
for ci_line in "listen = \"127.0.0.1:$ci_port\"" 'timezone = "Asia/Shanghai"' \
    "jwt_secret_file = \"$etc/jwt-secret\"" "data_dir = \"$data\""; do
    grep -qxF "$ci_line" "$ci_conf" || ci_fail "the sample configuration has no line to edit into: $ci_line"
done
ci_step "$doc" jwt-secret
[ "$(wc -c <"$etc/jwt-secret")" -ge 32 ] || ci_fail "the signing secret is shorter than 32 bytes"
ci_step "$doc" config-show >"$ci_work/config-show.out"
cat "$ci_work/config-show.out"
ci_shown=$(cat "$ci_work/config-show.out")
grep -q 'Asia/Shanghai' <<<"$ci_shown" || ci_fail "config show does not show the file's time zone"
if grep -qF "$(cat "$etc/jwt-secret")" <<<"$ci_shown"; then
    ci_fail "config show prints the signing secret"
fi
ci_ok "config show: the file's settings, the secret hidden"
ci_step "$doc" first-admin <<<"$ci_admin_password"

echo "== the server, from deploy/onsite.service's ExecStart"
ci_start_unit
ci_ok "the unit's ExecStart serves, with the sample configuration"
ci_step "$doc" ready
ci_readme_client_steps "$url"

echo "== backups while the server runs"
ci_phone=$ci_work/phone
mkdir -p "$ci_phone"
ci_py() { PYTHONPATH="$ci_root/bindings" python3 "$ci_work/phone.py" "$url" wang "$ci_wang_password" "$ci_phone" "$@"; }
ci_py sign-in | jq -e --arg job "$job" '.jobs == [$job]' >/dev/null ||
    ci_fail "the phone of the restore check does not hold the job"
ci_step "$doc" backup
ci_timer_cmd=$(ci_unit_exec deploy/onsite-backup.service \
    "/etc/onsite=>$etc" "/var/backups/onsite=>$backups")
echo "the timer's backup: $ci_timer_cmd"
eval "$ci_timer_cmd" || ci_fail "the backup unit's command failed"
ci_post=$(sed -n 's/^ExecStartPost=//p' deploy/onsite-backup.service)
eval "$(ci_replace "$ci_post" "/var/backups/onsite=>$backups")" || ci_fail "the backup unit's pruning failed"
for ci_file in "$backups"/onsite-manual.sqlite "$backups"/onsite-nightly-*Z.sqlite; do
    [ -s "$ci_file" ] || ci_fail "no backup at $ci_file"
    python3 - "$ci_file" <<'EOF' || ci_fail "$ci_file is not a sound database"
import sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
assert db.execute("SELECT count(*) FROM jobs").fetchone()[0] == 1
EOF
done
ci_ok "two backups, by hand and by the timer's command, each a sound database with the job"

echo "== the phone's work after the backup, a restore, the repair"
ci_note=$(ci_py work "$job" | jq -r .note)
ci_job() { curl -fsS "$url/v1/jobs/$job" -H "Authorization: Bearer $(login office 'office-password-1')"; }
ci_job | jq -e --arg note "$ci_note" '.status == "on_site" and (.document.notes | has($note))' >/dev/null ||
    ci_fail "the server does not hold the phone's work after the backup"
ci_step "$doc" restore >"$ci_work/restore.out"
cat "$ci_work/restore.out"
ci_restored=$(cat "$ci_work/restore.out")
grep '"epoch"' <<<"$ci_restored" | jq -e '.epoch != .restored_from and .restored_from != null' >/dev/null ||
    ci_fail "the restore did not give the database a new epoch"
ci_job | jq -e --arg note "$ci_note" '.status == "accepted" and (.document.notes | has($note) | not)' >/dev/null ||
    ci_fail "the restored server is not the backup"
ci_ok "restored under a new epoch: the server is back at the backup"
ci_py sync | jq -e '.pending == 0' >/dev/null || ci_fail "the phone's repair left work behind"
ci_job | jq -e --arg note "$ci_note" '.status == "on_site" and (.document.notes | has($note))' >/dev/null ||
    ci_fail "the phone's repair did not bring its work back"
ci_ok "the phone repaired: its work since the backup is on the restored server"
ci_stop_server || ci_fail "the server did not exit 0 on SIGTERM"

echo "== HTTPS by the server itself: the sample's [tls], with a certificate made here"
install -d -m 750 -o root -g "$onsite_user" "$etc/tls"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
    -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
    -keyout "$etc/tls/privkey.pem" -out "$etc/tls/fullchain.pem" 2>"$ci_work/openssl.log"
sed -i -e 's|^# \[tls\]$|[tls]|' -e 's|^# cert = |cert = |' -e 's|^# key = |key = |' "$ci_conf"
for ci_line in '[tls]' "cert = \"$etc/tls/fullchain.pem\"" "key = \"$etc/tls/privkey.pem\""; do
    grep -qxF "$ci_line" "$ci_conf" || ci_fail "the sample's [tls] section has no line $ci_line"
done
ci_plain=$url
url=https://${url#http://}
# curl trusts this run's certificate, for the wait on /readyz and the sign-in.
export CURL_CA_BUNDLE=$etc/tls/fullchain.pem
ci_start_unit
grep -q "listening on $url" "$ci_work/server.log" || ci_fail "the server does not say it listens on $url"
[ -n "$(login admin "$ci_admin_password")" ] || ci_fail "no sign-in over HTTPS"
if curl -fsS -o /dev/null "$ci_plain/healthz" 2>/dev/null; then
    ci_fail "the TLS server also answered plain HTTP"
fi
ci_stop_server || ci_fail "the server did not exit 0 on SIGTERM"
unset CURL_CA_BUNDLE
ci_ok "the sample's [tls] serves HTTPS: ready and a sign-in over TLS, no plain HTTP"

echo "== every marked step ran"
for ci_file in "$readme" "$doc"; do
    while read -r ci_name; do
        [[ " ${ci_ran[*]} " == *" $ci_file:$ci_name "* ]] ||
            ci_fail "$ci_file marks a step '$ci_name' that this check does not run"
    done < <(sed -n 's/^<!-- step: \(.*\) -->$/\1/p' "$ci_file")
done
ci_ok "all $(sed -n 's/^<!-- step: \(.*\) -->$/\1/p' "$readme" "$doc" | wc -l) marked steps of $readme and $doc ran"

echo "== 3. systemd units"
if command -v systemd-analyze >/dev/null; then
    mkdir -p "$ci_work/units"
    for ci_unit in onsite.service onsite-backup.service onsite-backup.timer; do
        # The binary must exist for verify: the one under test, where the unit expects it.
        sed "s|/usr/local/bin/onsite|$ci_bin|g" "deploy/$ci_unit" >"$ci_work/units/$ci_unit"
    done
    (cd "$ci_work/units" && systemd-analyze verify onsite.service onsite-backup.service onsite-backup.timer) \
        >"$ci_work/verify.out" 2>&1 || { cat "$ci_work/verify.out"; ci_fail "systemd-analyze verify"; }
    # verify exits 0 on some warnings: any line it prints about our units is a failure.
    if grep -E 'onsite(-backup)?\.(service|timer)' "$ci_work/verify.out"; then
        ci_fail "systemd-analyze verify warns about the units"
    fi
    ci_ok "systemd-analyze verify: onsite.service, onsite-backup.service, onsite-backup.timer"
    # The hardening, as systemd scores it (0 best, 10 worst); the unit scores 2.0 today.
    ci_exposure=$(cd "$ci_work/units" && systemd-analyze security --offline=true ./onsite.service 2>&1 |
        sed -n 's/.*Overall exposure level for onsite.service: \([0-9.]*\).*/\1/p')
    [ -n "$ci_exposure" ] || ci_fail "systemd-analyze security gave no exposure level"
    awk -v e="$ci_exposure" 'BEGIN { exit !(e <= 3.0) }' ||
        ci_fail "onsite.service's exposure level is $ci_exposure (at most 3.0 wanted)"
    ci_ok "systemd-analyze security: onsite.service's exposure level is $ci_exposure"
else
    ci_not_checked+=("THE SYSTEMD UNITS WERE NOT VERIFIED: systemd-analyze is not installed (apt-get install systemd)")
fi

echo "== 4. docker image"
ci_docker_why=""
if ! command -v docker >/dev/null; then
    ci_docker_why="there is no docker command"
elif ! docker info >"$ci_work/docker-info.log" 2>&1; then
    ci_docker_why="docker info failed: $(grep -m1 -iE 'cannot|error|denied' "$ci_work/docker-info.log" || tail -n1 "$ci_work/docker-info.log")"
else
    while read -r ci_image; do
        if ! docker pull -q "$ci_image" >"$ci_work/docker-pull.log" 2>&1; then
            ci_docker_why="the base image $ci_image cannot be pulled: $(tail -n1 "$ci_work/docker-pull.log")"
            break
        fi
    done < <(sed -n 's/^FROM \([^ ]*\).*/\1/p' deploy/Dockerfile)
fi
if [ -z "$ci_docker_why" ]; then
    ci_tag=onsite-deployment-check:$$
    docker build -f deploy/Dockerfile -t "$ci_tag" . || ci_fail "docker build"
    ci_port=$(ci_free_port)
    ci_cid=$(docker run -d -p "127.0.0.1:$ci_port:8080" "$ci_tag")
    ci_up=""
    # The container's first line says it listens (docker logs -f ends if the container does).
    if timeout 30 grep -q -m1 "^onsite listening on " <(docker logs -f "$ci_cid" 2>&1) &&
        [ "$(curl -fsS "http://127.0.0.1:$ci_port/readyz")" = ready ]; then
        ci_up=yes
    fi
    ci_exit=$(docker stop -t 30 "$ci_cid" >/dev/null && docker inspect -f '{{.State.ExitCode}}' "$ci_cid")
    docker rm "$ci_cid" >/dev/null
    docker rmi "$ci_tag" >/dev/null
    [ -n "$ci_up" ] || ci_fail "the container did not answer /readyz"
    [ "$ci_exit" = 0 ] || ci_fail "the container exited $ci_exit on docker stop"
    ci_ok "docker: the image builds, serves on 8080 and stops cleanly"
else
    ci_not_checked+=("THE DOCKER IMAGE WAS NOT BUILT: $ci_docker_why")
fi

echo "== deployment checks done in $((SECONDS - ci_started)) s"
for ci_line in "${ci_not_checked[@]}"; do
    echo "NOT CHECKED: $ci_line"
done
echo "deployment: $ci_passed passed, 0 failed"
