#!/usr/bin/env python3
"""Inputs of a benchmark run, fetched from a running readoutd (stdlib only).

    prep.py fetch --port P --size S --count K --root DIR --data DIR
        K meetings drawn at random (fixed seed) from the generated store:
        looked up by slug to learn their ids, then GET /v1/meetings/{id}
        saved byte for byte as DIR/v1/meetings/{id} (the nginx reference),
        the ids written to DATA/ids.txt; and the first list page
        GET /v1/meetings?limit=50 saved as ROOT/first-page.json.
        With --spread N: the bodies of the ids in DATA/all_ids.txt too (all of
        them, or N drawn at random when there are more), their ids written to
        DATA/spread_ids.txt (nginx's side of get by id, spread); and the deep
        pages GET /v1/meetings?limit=50&cursor=C of DATA/cursors.txt saved as
        ROOT/pages/C.json (nginx's side of the deep page).
    prep.py params --out DIR
        The inputs of the wrk scripts that derive from the generated data:
        participants.txt (filtered list), years.txt, queries.txt (search),
        queries_zh.txt (Chinese search only); prints the count of queries
        and of distinct ones.
    prep.py walk --port P --rows N --limit L --out FILE --ids FILE
        Walks GET /v1/meetings?limit=L by next_cursor until N rows (or the
        end), writing the cursors issued past N/2 rows (the deep pages) to
        --out and the id of every row seen to --ids.
"""
import argparse
import http.client
import json
import os
import random
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in bench/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen  # noqa: E402  (slugs of generated meetings)


class Client:
    def __init__(self, port):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def get(self, path):
        for attempt in range(3):
            try:
                self.conn.request("GET", path)
                r = self.conn.getresponse()
                return r.status, r.read()
            except (http.client.HTTPException, OSError):
                if attempt == 2:
                    raise
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
                time.sleep(0.1)


def fetch(a):
    total = gen.size_spec(a.size)[0]
    rng = random.Random(4242)
    picks = rng.sample(range(total), min(a.count, total))
    c = Client(a.port)
    mdir = os.path.join(a.root, "v1", "meetings")
    os.makedirs(mdir, exist_ok=True)
    os.makedirs(a.data, exist_ok=True)
    ids, sizes = [], []
    for index in picks:
        slug = gen.slug_of_index(index)
        st, body = c.get(f"/v1/meetings/{slug}")
        if st != 200:
            raise SystemExit(f"prep: GET /v1/meetings/{slug}: {st}")
        mid = json.loads(body)["id"]
        st, body = c.get(f"/v1/meetings/{mid}")
        if st != 200:
            raise SystemExit(f"prep: GET /v1/meetings/{mid}: {st}")
        with open(os.path.join(mdir, str(mid)), "wb") as f:
            f.write(body)
        ids.append(mid)
        sizes.append(len(body))
    with open(os.path.join(a.data, "ids.txt"), "w") as f:
        f.write("\n".join(map(str, ids)) + "\n")
    st, body = c.get("/v1/meetings?limit=50")
    if st != 200:
        raise SystemExit(f"prep: GET /v1/meetings?limit=50: {st}")
    with open(os.path.join(a.root, "first-page.json"), "wb") as f:
        f.write(body)
    out = {"meetings": len(ids), "meeting_bytes_mean": sum(sizes) // len(sizes),
           "meeting_bytes_max": max(sizes), "first_page_bytes": len(body)}
    if a.spread:
        out.update(fetch_spread(a, c, mdir))
    print(json.dumps(out))


def fetch_spread(a, c, mdir):
    """Every walked meeting's body (or a sample of a.spread), and the deep pages."""
    with open(os.path.join(a.data, "all_ids.txt")) as f:
        walked = [x for x in f.read().split() if x]
    if len(walked) > a.spread:
        spread = random.Random(4243).sample(walked, a.spread)
    else:
        spread = walked
    size = 0
    for mid in spread:
        path = os.path.join(mdir, mid)
        if not os.path.exists(path):
            st, body = c.get(f"/v1/meetings/{mid}")
            if st != 200:
                raise SystemExit(f"prep: GET /v1/meetings/{mid}: {st}")
            with open(path, "wb") as f:
                f.write(body)
        size += os.path.getsize(path)
    with open(os.path.join(a.data, "spread_ids.txt"), "w") as f:
        f.write("\n".join(spread) + "\n")
    pdir = os.path.join(a.root, "pages")
    os.makedirs(pdir, exist_ok=True)
    with open(os.path.join(a.data, "cursors.txt")) as f:
        cursors = [x for x in f.read().split() if x]
    psize = 0
    for cur in cursors:
        st, body = c.get(f"/v1/meetings?limit=50&cursor={cur}")
        if st != 200:
            raise SystemExit(f"prep: GET /v1/meetings?limit=50&cursor={cur}: {st}")
        with open(os.path.join(pdir, cur + ".json"), "wb") as f:
            f.write(body)
        psize += len(body)
    return {"spread_meetings": len(spread), "walked_meetings": len(walked),
            "spread_bytes_mean": size // max(1, len(spread)),
            "deep_pages": len(cursors), "deep_page_bytes_mean": psize // max(1, len(cursors))}


def walk(a):
    c = Client(a.port)
    path, rows, deep, pages, ids = f"/v1/meetings?limit={a.limit}", 0, [], 0, []
    t0 = time.monotonic()
    while True:
        st, body = c.get(path)
        if st != 200:
            raise SystemExit(f"prep: GET {path}: {st}")
        doc = json.loads(body)
        rows += len(doc["data"])
        ids.extend(str(m["id"]) for m in doc["data"])
        pages += 1
        cur = doc.get("next_cursor")
        if not cur or rows >= a.rows:
            break
        if rows >= a.rows // 2:
            deep.append(cur)
        path = f"/v1/meetings?limit={a.limit}&cursor={cur}"
    if not deep:  # a tiny store: take whatever cursors there are
        deep = [cur] if cur else []
    if not deep:
        raise SystemExit("prep: the list has a single page; no deep cursor")
    with open(a.out, "w") as f:
        f.write("\n".join(deep) + "\n")
    with open(a.ids, "w") as f:
        f.write("\n".join(ids) + "\n")
    print(json.dumps({"pages": pages, "rows": rows, "limit": a.limit, "deep_cursors": len(deep),
                      "seconds": round(time.monotonic() - t0, 1)}))

def params(a):
    world = gen.World()
    os.makedirs(a.out, exist_ok=True)
    people = [p["slug"] for p in world.people]
    # Ranks 0-49 attend often; 50 more drawn from ranks 200-2999 attend rarely.
    rng = random.Random(gen.SEED + 7)
    chosen = people[:50] + rng.sample(people[200:], 50)
    with open(os.path.join(a.out, "participants.txt"), "w") as f:
        f.write("\n".join(chosen) + "\n")
    # Create: each new meeting invokes two principles drawn from all of them.
    with open(os.path.join(a.out, "principles.txt"), "w") as f:
        f.write("\n".join(p["slug"] for p in world.principles) + "\n")
    with open(os.path.join(a.out, "years.txt"), "w") as f:
        f.write(f"{gen.iso_date(gen.DATE_FIRST)[:4]} {gen.iso_date(gen.DATE_LAST)[:4]}\n")
    # Search: 20,000 queries in a fixed order, ten kinds in turn. Popular
    # ones repeat (40 common words, 250 middling, prefixes), as real traffic
    # does; the rest are drawn from large sets (rare words, pairs, names,
    # phrases), so most of them are new to any bounded response cache.
    content = [w for w in gen.VOCAB if w not in gen.STOP_FOR_QUERIES]
    common = content[:40]             # in most meetings
    medium = content[150:400]         # in some
    rare = gen.VOCAB[gen.HEAD + 8000:]  # invented words deep in the tail: a few meetings or none
    q = random.Random(gen.SEED + 11)
    queries = []
    for i in range(20000):
        kind = i % 10
        if kind in (0, 5):
            s = q.choice(common)
        elif kind in (1, 6):
            s = q.choice(rare)
        elif kind == 2:
            s = q.choice(medium)
        elif kind == 3:
            s = f"{q.choice(common)} {q.choice(medium)}"
        elif kind == 4:
            s = " ".join(q.sample(common, 2))
        elif kind == 7:
            s = q.choice(world.people)["name"]
        elif kind == 8:
            # Every other one a Chinese query: a common term, a principle's
            # name, or both (the readouts of gen.zh_readouts).
            if i % 20 == 8:
                s = q.choice(medium)[:4] + "*"
            else:
                s = q.choice([q.choice(gen.ZH_WORDS[:60]), q.choice(gen.ZH_PRINCIPLES),
                              f"{q.choice(gen.ZH_WORDS[:60])} {q.choice(gen.ZH_PRINCIPLES)}"])
        else:
            s = '"' + " ".join(q.sample(common, 2)) + '"'
        queries.append(s)
    with open(os.path.join(a.out, "queries.txt"), "w") as f:
        f.write("\n".join(queries) + "\n")
    # Chinese only: the vocabulary of gen.zh_readouts (all its terms and the
    # principles' Chinese names), five kinds in turn: a term, a principle's
    # name, a term and a name, two terms (AND), two terms written together
    # as Chinese is (no space between them).
    z = random.Random(gen.SEED + 13)
    words, names = gen.ZH_WORDS, gen.ZH_PRINCIPLES
    zh = []
    for i in range(20000):
        kind = i % 5
        if kind == 0:
            s = z.choice(words)
        elif kind == 1:
            s = z.choice(names)
        elif kind == 2:
            s = f"{z.choice(words)} {z.choice(names)}"
        elif kind == 3:
            s = " ".join(z.sample(words, 2))
        else:
            s = "".join(z.sample(words, 2))
        zh.append(s)
    with open(os.path.join(a.out, "queries_zh.txt"), "w") as f:
        f.write("\n".join(zh) + "\n")
    print(json.dumps({"queries": len(queries), "distinct": len(set(queries)),
                      "zh_queries": len(zh), "zh_distinct": len(set(zh))}))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("fetch")
    f.add_argument("--port", type=int, required=True)
    f.add_argument("--size", required=True)
    f.add_argument("--count", type=int, default=2000)
    f.add_argument("--root", required=True)
    f.add_argument("--data", required=True)
    f.add_argument("--spread", type=int, default=0)
    w = sub.add_parser("walk")
    w.add_argument("--port", type=int, required=True)
    w.add_argument("--rows", type=int, required=True)
    w.add_argument("--limit", type=int, default=200)
    w.add_argument("--out", required=True)
    w.add_argument("--ids", required=True)
    pa = sub.add_parser("params")
    pa.add_argument("--out", required=True)
    a = ap.parse_args()
    {"fetch": fetch, "walk": walk, "params": params}[a.cmd](a)


if __name__ == "__main__":
    main()
