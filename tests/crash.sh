#!/usr/bin/env bash
# Crash safety: a 201 means the record survives a crash (DESIGN.md: WAL,
# synchronous=FULL). Each iteration starts readoutd on the same database
# (fresh in the first one), runs 4 concurrent writers that create
# participants, principles and meetings with nested references and record
# every record acknowledged with 201, kills the server with SIGKILL at a
# random moment (0.2-2 s after the first write was acknowledged), restarts
# it and checks that
#   - every record acknowledged so far, in this or an earlier iteration, is
#     there by id and whole: each field equal to what was sent, nested
#     participants, principles and related meetings included;
#   - every record in flight at the kill (sent, no answer) is there whole or
#     not at all (looked up by the slug the writer chose);
#   - PRAGMA integrity_check is ok and PRAGMA foreign_key_check is empty;
#   - the restarted server stops cleanly on SIGTERM.
# It builds nothing. Usage: tests/crash.sh [ITERATIONS=10] [BUILD_DIR=build]
# Prints one line per iteration and "N passed, M failed"; exits non-zero
# when an iteration failed. Needs python3 (stdlib only), sqlite3 (installed
# when missing) and a free loopback port.
set -u

# It checks an SQLite file (integrity_check, foreign_key_check); on
# PostgreSQL durability is the server's, and a killed readoutd leaves only
# an open transaction, which the server rolls back.
if [ "${READOUT_TEST_DB:-sqlite}" = postgres ]; then
	echo "skipped on PostgreSQL: this checks the crash safety of an SQLite file"
	exit 77
fi

ITERATIONS=${1:-10}
BUILD_DIR=${2:-build}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
READOUTD=$BUILD_DIR/readoutd
[ -x "$READOUTD" ] || READOUTD=$HERE/../$BUILD_DIR/readoutd
if [ ! -x "$READOUTD" ]; then
	echo "crash.sh: no readoutd in $BUILD_DIR (build it first)" >&2
	exit 2
fi
case $ITERATIONS in
'' | *[!0-9]*)
	echo "usage: tests/crash.sh [ITERATIONS=10] [BUILD_DIR=build]" >&2
	exit 2
	;;
esac
if ! command -v sqlite3 >/dev/null; then
	# shellcheck source=/dev/null
	. "$HERE/../scripts/deps.sh"
	readout_install sqlite3 || {
		echo "crash.sh: sqlite3 is missing and could not be installed" >&2
		exit 2
	}
fi

TOKEN=crash-test-token-0123456789
WORK=$(mktemp -d "${TMPDIR:-/tmp}/readout-crash-XXXXXX")
DB=$WORK/readout.db
SERVER_PID=
WRITER_PIDS=()
KEEP=0

cleanup() {
	for pid in "${WRITER_PIDS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	if [ -n "$SERVER_PID" ]; then
		kill -9 "$SERVER_PID" 2>/dev/null
		wait "$SERVER_PID" 2>/dev/null
	fi
	if [ "$KEEP" = 1 ]; then
		echo "crash.sh: kept $WORK for inspection" >&2
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT

# The writers and the checker.
cat >"$WORK/crash.py" <<'PY'
import http.client, json, os, random, sys

TOKEN = os.environ["CRASH_TOKEN"]
HEADERS = {"Authorization": "Bearer " + TOKEN, "Content-Type": "application/json"}
TEXT = ("The delegations discussed the harbour, the ferry lines and the lantern "
        "treaty. Ünïcödé, «quotes», 中文 and emoji 🕊 are kept as sent. ")
PARTICIPANT_FIELDS = ["name", "aliases", "title", "organization", "country"]
PRINCIPLE_FIELDS = ["name", "framework", "description"]
MEETING_FIELDS = ["title", "date", "kind", "location", "city", "country", "summary",
                  "readout", "sources"]


def record(f, entry):
    f.write(json.dumps(entry, ensure_ascii=False) + "\n")
    f.flush()


def writer(port, iteration, w, outdir):
    """Creates records until the server goes away; every 201 goes to the
    ack file, every request to the pending file before it is sent."""
    rnd = random.Random(f"{iteration}-{w}")
    acks = open(os.path.join(outdir, f"acks-{iteration}-{w}.jsonl"), "a", encoding="utf-8")
    pending = open(os.path.join(outdir, f"pending-{iteration}-{w}.jsonl"), "a", encoding="utf-8")
    unexpected = open(os.path.join(outdir, f"unexpected-{iteration}-{w}.txt"), "a")
    people, principles, meetings = [], [], []
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    k = 0
    while True:
        tag = f"i{iteration}-w{w}-{k}"
        step = k % 4
        if step in (0, 1):
            kind = "participants"
            body = {"slug": f"p-{tag}", "name": f"Envoy {tag} Ådne",
                    "aliases": [f"E. {tag}"] if k % 3 else [],
                    "title": "Special envoy" if k % 2 else None,
                    "organization": "Ministry of Harbours", "country": rnd.choice(["NO", "CN", "US", "FR"])}
        elif step == 2:
            kind = "principles"
            body = {"slug": f"r-{tag}", "name": f"Principle {tag}",
                    "framework": "Five harbours" if k % 8 == 2 else None,
                    "description": TEXT * rnd.randint(1, 5)}
        else:
            kind = "meetings"
            host, guest = people[-1], people[-2]
            body = {"slug": f"m-{tag}", "title": f"Talks {tag} on the harbour",
                    "date": f"20{10 + k % 15:02d}-0{1 + k % 9}-1{k % 10}",
                    "kind": rnd.choice(["meeting", "talks", "phone_call", "summit"]),
                    "location": "Great Hall", "city": "Bergen", "country": "NO",
                    "summary": TEXT, "readout": TEXT * rnd.randint(1, 200),
                    "sources": [{"url": f"https://example.org/{tag}", "publisher": "Example",
                                 "language": "en"}],
                    # one ref by id, one by slug
                    "participants": [{"id": host["id"], "role": "host"},
                                     {"slug": guest["slug"], "role": "guest"}],
                    "principles": [{"slug": principles[-1]["slug"], "stance": "proposed",
                                    "invoked_by": host["slug"], "quote": f"Quote {tag}"}],
                    "related": ([{"id": meetings[-1]["id"], "relation": "follows_up"}]
                                if meetings else [])}
        entry = {"kind": kind, "slug": body["slug"], "body": body}
        record(pending, entry)
        try:
            conn.request("POST", "/v1/" + kind, json.dumps(body), HEADERS)
            res = conn.getresponse()
            answer = res.read()
        except (OSError, http.client.HTTPException):
            return  # the server is gone
        if res.status != 201:
            unexpected.write(f"{kind} {body['slug']}: {res.status} {answer[:300]!r}\n")
            unexpected.flush()
            return
        got = json.loads(answer)
        entry["id"] = got["id"]
        record(acks, entry)
        made = {"id": got["id"], "slug": got["slug"]}
        {"participants": people, "principles": principles, "meetings": meetings}[kind].append(made)
        k += 1


class Store:
    def __init__(self, port):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def get(self, path):
        self.conn.request("GET", path)
        res = self.conn.getresponse()
        body = res.read()
        return res.status, json.loads(body) if body else None


def slug_of(store, cache, kind, ref):
    if "slug" in ref:
        return ref["slug"]
    key = (kind, ref["id"])
    if key not in cache:
        status, doc = store.get(f"/v1/{kind}/{ref['id']}")
        cache[key] = doc["slug"] if status == 200 else None
    return cache[key]


def differences(store, cache, entry, got):
    """What of entry's body the stored record got does not hold."""
    body, kind, bad = entry["body"], entry["kind"], []
    if got.get("slug") != body["slug"]:
        bad.append(f"slug {got.get('slug')!r}")
    fields = {"participants": PARTICIPANT_FIELDS, "principles": PRINCIPLE_FIELDS,
              "meetings": MEETING_FIELDS}[kind]
    for f in fields:
        if got.get(f) != body.get(f):
            bad.append(f"{f}: sent {str(body.get(f))[:60]!r}, stored {str(got.get(f))[:60]!r}")
    if kind != "meetings":
        return bad
    people = got.get("participants") or []
    want = [(slug_of(store, cache, "participants", p), p["role"]) for p in body["participants"]]
    have = [(p.get("slug"), p.get("role")) for p in people]
    if want != have:
        bad.append(f"participants: sent {want}, stored {have}")
    ids = {p.get("slug"): p.get("id") for p in people}
    want = [(p["slug"], p["stance"], ids.get(p["invoked_by"]), p["quote"]) for p in body["principles"]]
    have = [(p.get("slug"), p.get("stance"), p.get("invoked_by"), p.get("quote"))
            for p in got.get("principles") or []]
    if want != have or None in [w[2] for w in want]:
        bad.append(f"principles: sent {want}, stored {have}")
    want = [(r["id"], r["relation"]) for r in body["related"]]
    have = [(r.get("id"), r.get("relation")) for r in got.get("related") or []]
    if want != have:
        bad.append(f"related: sent {want}, stored {have}")
    return bad


def load(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.endswith("\n")]


def check(port, outdir, iteration):
    """Prints a summary line; exits 1 when a record is missing or not whole."""
    store, cache = Store(port), {}
    acked, pending, unexpected = [], [], []
    for name in sorted(os.listdir(outdir)):
        path = os.path.join(outdir, name)
        if name.startswith("acks-"):
            acked += load(path)
        elif name.startswith(f"pending-{iteration}-"):
            pending += load(path)
        elif name.startswith(f"unexpected-{iteration}-"):
            unexpected += open(path).read().splitlines()
    problems = [f"unexpected answer to a writer: {u}" for u in unexpected]
    this = [e for e in acked if f"-i{iteration}-" in e["slug"]]
    for e in acked:
        status, got = store.get(f"/v1/{e['kind']}/{e['id']}")
        if status != 200:
            problems.append(f"acknowledged {e['kind']} {e['id']} ({e['slug']}): GET {status}")
            continue
        problems += [f"acknowledged {e['kind']} {e['id']} ({e['slug']}): {d}"
                     for d in differences(store, cache, e, got)]
    done = {e["slug"] for e in this}
    in_flight = [e for e in pending if e["slug"] not in done]
    present = 0
    for e in in_flight:
        status, got = store.get(f"/v1/{e['kind']}/{e['slug']}")
        if status == 404:
            continue
        if status != 200:
            problems.append(f"in-flight {e['kind']} {e['slug']}: GET {status}")
            continue
        present += 1
        problems += [f"in-flight {e['kind']} {e['slug']}: {d}"
                     for d in differences(store, cache, e, got)]
    kinds = {k: sum(1 for e in this if e["kind"] == k)
             for k in ("participants", "principles", "meetings")}
    print(f"acknowledged {len(this)} (participants {kinds['participants']}, principles "
          f"{kinds['principles']}, meetings {kinds['meetings']}), {len(acked)} in all checked; "
          f"in flight {len(in_flight)} ({present} stored whole)")
    for p in problems[:20]:
        print("    " + p)
    if len(problems) > 20:
        print(f"    ... and {len(problems) - 20} more")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    if sys.argv[1] == "write":
        writer(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
    else:
        check(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]))
PY

# Starts readoutd on $DB; sets SERVER_PID and PORT. Returns 1 when it does
# not come up within 15 s.
start_server() {
	local log=$WORK/server-$1.log out=$WORK/server-$1.out
	"$READOUTD" --db "$DB" --port 0 --token "$TOKEN" --threads 4 >"$out" 2>"$log" &
	SERVER_PID=$!
	PORT=
	for _ in $(seq 150); do
		PORT=$(sed -n 's/.*listening on http:\/\/[^ ]*:\([0-9][0-9]*\)$/\1/p' "$out" 2>/dev/null)
		[ -n "$PORT" ] && return 0
		kill -0 "$SERVER_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "    readoutd did not start:" >&2
	tail -5 "$log" >&2
	return 1
}

export CRASH_TOKEN=$TOKEN
passed=0
failed=0
SECONDS=0
for iteration in $(seq "$ITERATIONS"); do
	ok=1
	notes=()
	if ! start_server "$iteration-a"; then
		failed=$((failed + 1))
		echo "iteration $iteration: FAIL (server did not start)"
		SERVER_PID=
		continue
	fi
	WRITER_PIDS=()
	for w in 1 2 3 4; do
		python3 "$WORK/crash.py" write "$PORT" "$iteration" "$w" "$WORK" &
		WRITER_PIDS+=($!)
	done
	# The random moment counts from the first acknowledged write, so that a
	# slow start (a loaded machine, python's start-up) still kills writes
	# in full flow.
	for _ in $(seq 100); do
		cat "$WORK"/acks-"$iteration"-* 2>/dev/null | grep -q . && break
		sleep 0.1
	done
	delay_ms=$((200 + RANDOM % 1801))
	sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
	kill -9 "$SERVER_PID"
	wait "$SERVER_PID" 2>/dev/null
	SERVER_PID=
	for pid in "${WRITER_PIDS[@]}"; do
		wait "$pid" || {
			ok=0
			notes+=("a writer failed (exit $?)")
		}
	done
	WRITER_PIDS=()

	if ! start_server "$iteration-b"; then
		failed=$((failed + 1))
		echo "iteration $iteration: FAIL (server did not restart after the kill)"
		KEEP=1
		SERVER_PID=
		continue
	fi
	summary=$(python3 "$WORK/crash.py" check "$PORT" "$WORK" "$iteration") || ok=0
	integrity=$(sqlite3 "$DB" 'PRAGMA integrity_check' 2>&1)
	[ "$integrity" = ok ] || {
		ok=0
		notes+=("integrity_check: $(echo "$integrity" | head -5)")
	}
	fk=$(sqlite3 "$DB" 'PRAGMA foreign_key_check' 2>&1)
	[ -z "$fk" ] || {
		ok=0
		notes+=("foreign_key_check: $(echo "$fk" | head -5)")
	}
	kill -TERM "$SERVER_PID"
	wait "$SERVER_PID"
	status=$?
	SERVER_PID=
	[ "$status" = 0 ] || {
		ok=0
		notes+=("the restarted server exited $status on SIGTERM")
	}

	first=$(echo "$summary" | head -1)
	if [ "$ok" = 1 ]; then
		passed=$((passed + 1))
		echo "iteration $iteration: ok - killed after ${delay_ms} ms; $first; integrity ok, foreign keys ok"
	else
		failed=$((failed + 1))
		KEEP=1
		echo "iteration $iteration: FAIL - killed after ${delay_ms} ms; $first"
		echo "$summary" | tail -n +2
		for n in "${notes[@]}"; do
			echo "    $n"
		done
	fi
done
# A run in which no write was ever acknowledged has tested nothing.
if [ "$ITERATIONS" -gt 0 ] && ! grep -q . "$WORK"/acks-* 2>/dev/null; then
	echo "no write was acknowledged in any iteration"
	failed=$((failed + 1))
fi
echo "$passed passed, $failed failed (${SECONDS} s)"
[ "$failed" = 0 ]
