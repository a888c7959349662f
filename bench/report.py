#!/usr/bin/env python3
"""Turns one benchmark run into markdown (and a JSON twin).

    report.py RUNDIR OUT.md [--baseline JSON]

RUNDIR holds meta.tsv (key<TAB>value lines written by bench/run) and
wrk/<scenario>.<server>.json (written by bench/lua/common.lua's done()).
OUT.md gets the tables; OUT.json (same name) the figures, which a later
1m report reads as its 10k baseline for the scale target.

When meta.tsv says store=postgres, the baseline is the JSON of the SQLite run
of the same invocation, and every scenario is given as a ratio to it.
"""
import glob
import json
import os
import sys

# (key, title, what is measured), in the order of the run: the read
# scenarios against a readoutd with its response cache off (--cache-size 0),
# then the rest against one with its default cache (bench/run).
SCENARIOS = [
    ("get_by_id_spread", "Get by id, every meeting", "GET /v1/meetings/{id}, ids drawn "
     "from every meeting the harness walked (10k: all of them; 1m: the newest 500,000); nginx "
     "serves the bodies readoutd gave for them (10k: every one, the same bytes; 1m: 20,000 of "
     "them)"),
    ("list_first", "First list page (50)", "GET /v1/meetings?limit=50; nginx serves the same body"),
    ("list_deep", "Deep list page", "GET /v1/meetings?limit=50&cursor=C, C a cursor issued "
     "past the middle of the walked list; nginx serves the body readoutd gave for each cursor"),
    ("list_filtered", "Filtered list", "GET /v1/meetings?participant=P&from=D&to=D"),
    ("search", "Search", "GET /v1/search?q=Q, rotating through 20,000 queries{distinct}: "
     "common, rare, middling words, two-word ANDs, names, prefixes, phrases (one in twenty "
     "Chinese)"),
    ("search_zh", "Search, Chinese", "GET /v1/search?q=Q, rotating through 20,000 Chinese "
     "queries{zh_distinct}: a term, a principle's Chinese name, a term and a name, two terms, "
     "two terms written together"),
    ("mentions", "Mentions", "GET /v1/meetings/{id}/mentions, ids drawn from every meeting "
     "the harness walked, as for get by id"),
    ("get_by_id", "Get by id, cached sample", "GET /v1/meetings/{id}, ids drawn at random from "
     "a sample of 2,000 (1m: 10,000) that fits the response cache, so after the first requests "
     "most answers are cache hits, as a popular record's would be; nginx serves the same bytes"),
    ("create", "Create", "POST /v1/meetings, unique titles, 2 participants"),
    ("mixed", "Mixed 80/15/5", "65 get by id, 10 first page, 5 filtered list, 15 search, 5 create"),
]
CACHE_OFF = {"get_by_id_spread", "list_first", "list_deep", "list_filtered", "search",
             "search_zh", "mentions"}


def describe(what, meta):
    """A scenario's description with the query counts of this run."""
    q = json.loads(meta["queries"]) if meta.get("queries") else {}
    return (what.replace("{distinct}", f" ({q['distinct']:,} distinct)" if "distinct" in q else "")
            .replace("{zh_distinct}", f" ({q['zh_distinct']:,} distinct)" if "zh_distinct" in q else ""))


def cache_of(key, r=None):
    """readoutd's response cache in a scenario: as recorded, else as bench/run runs it."""
    c = (r or {}).get("cache") or ("off" if key in CACHE_OFF else "default")
    return "off" if c == "off" else "default"


def load_meta(run):
    meta = {}
    with open(os.path.join(run, "meta.tsv")) as f:
        for line in f:
            line = line.rstrip("\n")
            if "\t" in line:
                k, v = line.split("\t", 1)
                meta[k] = v
    return meta


def load_wrk(run):
    out = {}
    for p in glob.glob(os.path.join(run, "wrk", "*.json")):
        scen, server = os.path.basename(p)[:-5].split(".", 1)
        with open(p) as f:
            try:
                out.setdefault(scen, {})[server] = json.load(f)
            except json.JSONDecodeError:
                pass
    return out


def errors(r):
    return sum(r["errors"].values())


def cpu(r):
    c = r.get("cpu")
    return f"{c['server_us_per_req']:,.0f} us" if c else "-"


def ms(us):
    return f"{us / 1000:.2f} ms"


def rps(x):
    return f"{x:,.0f}"


def verdict(ok):
    return "**met**" if ok else "**missed**"


def machine(w, meta):
    w("## Machine")
    w("")
    for k in ("cpu", "nproc", "memory", "kernel", "disk", "versions", "pg_version", "pg_settings"):
        if k in meta:
            w(f"- {k.replace('_', ' ')}: {meta[k]}")
    if "idle_load" in meta:
        w(f"- load from other processes just before the run: {meta['idle_load']} of "
          f"{meta.get('nproc', '?')} cores (see each scenario's note for the load during it)")
    w("")


def postgres_report(meta, res, sqlite, out_md):
    """The PostgreSQL run, each scenario as a ratio to the SQLite run beside it."""
    lite = sqlite.get("wrk", {})
    lmeta = sqlite.get("meta", {})
    size = meta.get("size", "?")
    smoke = meta.get("mode") == "smoke"
    lines = []
    w = lines.append
    w(f"# Readout benchmark on PostgreSQL: {size} meetings, {meta.get('date', '')}")
    w("")
    if smoke:
        w(f"**Smoke run** ({meta.get('duration')} s per scenario): it proves the harness works; "
          "its figures are not measurements.")
        w("")
    w(f"Tree: `{meta.get('git', '?')}`. readoutd: `{meta.get('readoutd_version', '?')}`, "
      f"release build, `--threads {meta.get('threads', '2')}`, `--db` a libpq URI of a "
      "PostgreSQL cluster on a Unix socket on the same machine (tests/pg/cluster.sh, fsync on). "
      f"Load: `wrk -t2 -c32 -d{meta.get('duration')}s --latency` "
      f"(after a {meta.get('warmup', '0')} s warm-up per scenario). "
      f"The same generated data (bench/gen.py) was imported; the reference is the SQLite run "
      f"of the same invocation ({lmeta.get('date', '?')}, `{os.path.basename(out_md).replace('-postgres', '')}`), "
      "so a ratio below 1 means PostgreSQL is slower.")
    w("")
    w("## PostgreSQL / SQLite")
    w("")
    w("As on SQLite, the read scenarios ran against a readoutd with its response cache off "
      "(`--cache-size 0`), the cached get by id, mixed and create against one with its default "
      "cache (column *cache*).")
    w("")
    w("| scenario | cache | PostgreSQL req/s | SQLite req/s | ratio (req/s) | PostgreSQL p99 | SQLite p99 | errors (PG) |")
    w("|---|---|---:|---:|---:|---:|---:|---:|")
    for key, title, _ in SCENARIOS:
        pg = res.get(key, {}).get("readoutd")
        sq = lite.get(key, {}).get("readoutd")
        if not pg and not sq:
            continue
        cache = cache_of(key, pg or sq)
        if sq and cache_of(key, sq) != cache:
            cache += f" (SQLite: {cache_of(key, sq)})"
        if not pg or not sq:
            w(f"| {title} | {cache} | {rps(pg['rps']) if pg else '-'} | {rps(sq['rps']) if sq else '-'} | - | "
              f"{ms(pg['p99_us']) if pg else '-'} | {ms(sq['p99_us']) if sq else '-'} | "
              f"{errors(pg) if pg else '-'} |")
            continue
        ratio = pg["rps"] / sq["rps"] if sq["rps"] else 0
        w(f"| {title} | {cache} | {rps(pg['rps'])} | {rps(sq['rps'])} | **{ratio:.2f}** | {ms(pg['p99_us'])} | "
          f"{ms(sq['p99_us'])} | {errors(pg)} |")
    w("")
    w("## Server CPU per request")
    w("")
    w("On PostgreSQL the server is readoutd plus every PostgreSQL process (postmaster and "
      "backends); on SQLite it is readoutd alone.")
    w("")
    w("| scenario | PostgreSQL | SQLite | other load during the PG run (of 2 cores) |")
    w("|---|---:|---:|---:|")
    for key, title, _ in SCENARIOS:
        pg = res.get(key, {}).get("readoutd")
        sq = lite.get(key, {}).get("readoutd")
        if not pg:
            continue
        other = pg.get("cpu", {}).get("other_cores")
        w(f"| {title} | {cpu(pg)} | {cpu(sq) if sq else '-'} | "
          f"{'-' if other is None else f'{other:.2f}'}{' (noisy)' if other and other > 0.2 else ''} |")
    w("")
    for key, title, _ in SCENARIOS:
        pg = res.get(key, {}).get("readoutd")
        if pg and errors(pg):
            w(f"{title} errors on PostgreSQL: " +
              ", ".join(f"{k} {v}" for k, v in pg["errors"].items() if v) + ".")
            w("")
    if meta.get("search") != "available":
        w(f"Search answered {meta.get('search_status', '?')} on PostgreSQL, so it did not run.")
        w("")
    machine(w, meta)
    w("## Store")
    w("")
    w(f"- {meta.get('store_desc', '')}")
    if "store_build" in meta:
        w(f"- generation + import into PostgreSQL: {meta['store_build']} "
          f"(SQLite, cached: {lmeta.get('store_build', '?')})")
    if "store_bytes" in meta:
        w(f"- database size (pg_database_size): {int(meta['store_bytes']) / 2**20:,.0f} MiB "
          f"(SQLite file: {int(lmeta.get('store_bytes', '0') or 0) / 2**20:,.0f} MiB)")
    if "walk" in meta:
        p = json.loads(meta["walk"])
        w(f"- deep cursors: {p['deep_cursors']} cursors issued between rows {p['rows'] // 2:,} "
          f"and {p['rows']:,} of the list (walked again on this store)")
    w("")
    w("## Process")
    w("")
    hwm = int(meta.get("vmhwm_kb", "0") or 0)
    lhwm = int(lmeta.get("vmhwm_kb", "0") or 0)
    w(f"- peak RSS of readoutd with its default cache: {hwm / 1024:.1f} MiB (SQLite run: "
      f"{lhwm / 1024:.1f} MiB; PostgreSQL's own processes not counted)")
    if meta.get("vmhwm_nocache_kb"):
        w(f"- peak RSS of readoutd with its cache off (the read scenarios): "
          f"{int(meta['vmhwm_nocache_kb']) / 1024:.1f} MiB (SQLite run: "
          f"{int(lmeta.get('vmhwm_nocache_kb', '0') or 0) / 1024:.1f} MiB)")
    starts = [float(x) for x in meta.get("start_ms", "").split() if x]
    lstarts = [float(x) for x in lmeta.get("start_ms", "").split() if x]
    if starts:
        med = sorted(starts)[len(starts) // 2]
        lmed = sorted(lstarts)[len(lstarts) // 2] if lstarts else None
        w(f"- exec to first 200 of /healthz: " + ", ".join(f"{x:.1f}" for x in starts) +
          f" ms (median {med:.1f} ms; SQLite run {'-' if lmed is None else f'{lmed:.1f}'} ms)")
    w("")
    w("Raw figures: the `.json` file beside this one.")
    text = "\n".join(lines) + "\n"
    with open(out_md, "w") as f:
        f.write(text)
    with open(out_md[:-3] + ".json", "w") as f:
        json.dump({"meta": meta, "wrk": res}, f, indent=1, sort_keys=True)
    sys.stdout.write(text)


def main():
    run, out_md = sys.argv[1], sys.argv[2]
    baseline = None
    if len(sys.argv) > 4 and sys.argv[3] == "--baseline" and os.path.exists(sys.argv[4]):
        with open(sys.argv[4]) as f:
            baseline = json.load(f)
    meta = load_meta(run)
    res = load_wrk(run)
    if meta.get("store", "sqlite") != "sqlite":
        if not baseline:
            sys.exit("report.py: a PostgreSQL run needs --baseline (the SQLite run's JSON)")
        postgres_report(meta, res, baseline, out_md)
        return
    size = meta.get("size", "?")
    smoke = meta.get("mode") == "smoke"
    commit_rate = float(meta.get("commit_per_s", "0") or 0)
    search_on = meta.get("search") == "available"
    lines = []
    w = lines.append
    w(f"# Readout benchmark: {size} meetings, {meta.get('date', '')}")
    w("")
    if smoke:
        w(f"**Smoke run** ({meta.get('duration')} s per scenario): it proves the harness works; "
          "its figures are not measurements.")
        w("")
    w(f"Tree: `{meta.get('git', '?')}`. readoutd: `{meta.get('readoutd_version', '?')}`, "
      f"release build, `--threads {meta.get('threads', '2')}`. "
      f"Load: `wrk -t2 -c32 -d{meta.get('duration')}s --latency` "
      f"(after a {meta.get('warmup', '0')} s warm-up per server and scenario), "
      "on the same 2 cores as the server; nothing pinned.")
    w("")
    machine(w, meta)
    w("## Store")
    w("")
    w(f"- {meta.get('store_desc', '')}")
    if "store_build" in meta:
        w(f"- generation + import: {meta['store_build']}")
    if "store_bytes" in meta:
        w(f"- database file: {int(meta['store_bytes']) / 2**20:,.0f} MiB")
    if "prep" in meta:
        p = json.loads(meta["prep"])
        w(f"- reference bodies: {p['meetings']} meetings fetched from readoutd (mean "
          f"{p['meeting_bytes_mean']:,} bytes, max {p['meeting_bytes_max']:,}); first list page "
          f"{p['first_page_bytes']:,} bytes")
        if "spread_meetings" in p:
            w(f"- spread bodies: {p['spread_meetings']:,} of the {p['walked_meetings']:,} walked "
              f"meetings (mean {p['spread_bytes_mean']:,} bytes); {p['deep_pages']} deep pages "
              f"(mean {p['deep_page_bytes_mean']:,} bytes)")
    if "walk" in meta:
        p = json.loads(meta["walk"])
        w(f"- deep cursors: {p['deep_cursors']} cursors issued between rows {p['rows'] // 2:,} "
          f"and {p['rows']:,} of the list (walked with limit={p.get('limit', 200)})")
    w("")

    def rd_of(key):
        return res.get(key, {}).get("readoutd")

    prep = json.loads(meta["prep"]) if meta.get("prep") else {}
    same_spread = prep.get("spread_meetings") == prep.get("walked_meetings")
    ref_list = res.get("list_first", {}).get("nginx")
    spread_rd = rd_of("get_by_id_spread")
    first_p99 = (rd_of("list_first") or {}).get("p99_us")
    ratios = {}  # key -> readoutd req/s over its reference's

    w("## Scenarios")
    w("")
    w("Latencies are wrk's (client side, including queueing on 32 connections); "
      "errors are socket errors plus responses with status >= 400. The read scenarios ran "
      "first, against a readoutd started with `--cache-size 0` (no response cache: every "
      "request goes through the store and the encoder); then a readoutd with its default "
      "response cache (4 MiB) was started (the three timed starts) for the cached get by id, "
      "the CSV stream, mixed and create (in that order), and for the peak RSS.")
    w("")
    block = None
    for key, title, what in SCENARIOS:
        r = res.get(key, {})
        cache = cache_of(key, r.get("readoutd"))
        if cache != block:
            block = cache
            w("### " + ("Response cache off (`--cache-size 0`)" if cache == "off"
                       else "Default response cache (4 MiB)"))
            w("")
        w(f"#### {title}")
        w("")
        w(describe(what, meta) + ".")
        w("")
        if key in ("search", "search_zh") and not search_on:
            w(f"Not available: `GET /v1/search` answered {meta.get('search_status', '404')} on this "
              "build, so the scenario did not run (its script, bench/lua/search.lua, stays in the "
              "harness).")
            w("")
            continue
        if "readoutd" not in r:
            w("No result (the run failed; see the log).")
            w("")
            continue
        rd = r["readoutd"]
        ref, ref_name = None, None
        if key in ("get_by_id", "list_first", "list_deep"):
            ref, ref_name = r.get("nginx"), "nginx, same bytes"
        elif key == "get_by_id_spread":
            ref = r.get("nginx")
            ref_name = "nginx, same bytes" if same_spread else "nginx, a sample of the bodies"
        elif key == "list_filtered":
            ref, ref_name = ref_list, "nginx first list page"
        elif key == "mentions":
            ref, ref_name = spread_rd, "readoutd get by id, every meeting"
        w("| server | requests/s | p50 | p99 | errors | server CPU / request | ratio (req/s) |")
        w("|---|---:|---:|---:|---:|---:|---:|")
        ratio = None
        if key == "create" and commit_rate:
            ratio = rd["rps"] / commit_rate
            rtext = f"{ratio:.3f} x commit rate"
        elif ref and errors(ref):  # a reference that failed measures nothing
            rtext = f"none: the reference ({ref_name}) had {errors(ref)} errors"
        elif ref:
            ratio = rd["rps"] / ref["rps"] if ref["rps"] else 0
            rtext = f"{ratio:.3f} x {ref_name}"
        else:
            rtext = "-"
        if ratio is not None:
            ratios[key] = ratio
        w(f"| readoutd (cache {cache}) | {rps(rd['rps'])} | {ms(rd['p50_us'])} | {ms(rd['p99_us'])} | "
          f"{errors(rd)} | {cpu(rd)} | {rtext} |")
        if key in ("get_by_id", "get_by_id_spread", "list_first", "list_deep") and ref:
            w(f"| nginx (reference) | {rps(ref['rps'])} | {ms(ref['p50_us'])} | "
              f"{ms(ref['p99_us'])} | {errors(ref)} | {cpu(ref)} | 1 |")
        if key == "mentions" and ref:
            w(f"| readoutd get by id, every meeting (cache off) | {rps(ref['rps'])} | "
              f"{ms(ref['p50_us'])} | {ms(ref['p99_us'])} | {errors(ref)} | {cpu(ref)} | 1 |")
        if key == "create" and commit_rate:
            w(f"| SQLite single-row commits, WAL, synchronous=FULL (reference) | "
              f"{rps(commit_rate)} | {meta.get('commit_p50_us', '?')} us | "
              f"{meta.get('commit_p99_us', '?')} us | 0 | - | 1 |")
        w("")
        noisy = [(n, x["cpu"]["other_cores"]) for n, x in (("readoutd", rd), ("nginx", r.get("nginx")))
                 if x and "cpu" in x]
        if noisy:
            w("Other processes on the machine used " +
              ", ".join(f"{c:.2f} cores during the {n} run" for n, c in noisy) +
              " (of 2)." + (" **Noisy: treat these figures with care.**"
                            if any(c > 0.2 for _, c in noisy) else ""))
            w("")
        if errors(rd):
            e = rd["errors"]
            w("Errors: " + ", ".join(f"{k} {v}" for k, v in e.items() if v) + ".")
            w("")
        if key == "list_deep" and first_p99:
            w(f"p99 is {rd['p99_us'] / first_p99:.2f} x the first page's p99 ({ms(first_p99)}).")
            w("")
        if key == "mixed" and not search_on:
            w("Search was not available, so its 15 % went to the filtered list.")
            w("")

    w("## Process")
    w("")
    hwm = int(meta.get("vmhwm_kb", "0") or 0)
    limit = 64 if size == "1m" else 32
    starts = [float(x) for x in meta.get("start_ms", "").split() if x]
    w(f"- peak RSS (VmHWM of the readoutd with the default cache, after its scenarios): "
      f"{hwm / 1024:.1f} MiB (target <= {limit} MiB)")
    if meta.get("vmhwm_nocache_kb"):
        w(f"- peak RSS of the readoutd with its cache off, after the read scenarios: "
          f"{int(meta['vmhwm_nocache_kb']) / 1024:.1f} MiB")
    if meta.get("csv_rows"):
        w(f"- CSV stream of every meeting (`GET /v1/meetings?format=csv`, one client, default "
          f"cache): {int(meta['csv_rows']):,} rows, {int(meta['csv_bytes']) / 2**20:,.1f} MiB in "
          f"{float(meta['csv_seconds']):.2f} s ({int(meta['csv_rows_per_s']):,} rows/s); "
          f"server RSS {int(meta['csv_rss_before_kb']) / 1024:.1f} MiB before, "
          f"peak {int(meta['csv_vmhwm_kb']) / 1024:.1f} MiB during the stream")
    if starts:
        srt = sorted(starts)
        w(f"- exec to first 200 of /healthz (default cache): " + ", ".join(f"{s:.1f}" for s in starts) +
          f" ms (median {srt[len(srt) // 2]:.1f} ms over {len(starts)} starts)")
    w("")

    # Targets, in the order of the table.
    summary = []  # (target, figure, verdict)

    def ratio_target(key, name, floor):
        if key in ratios:
            summary.append((name, f"{ratios[key]:.3f}", verdict(ratios[key] >= floor)))
        else:
            summary.append((name, "no result", "n/a"))

    same = "same bytes" if same_spread else "a sample of the bodies"
    ratio_target("get_by_id_spread", f"get by id, every meeting, cache off >= 0.8 x nginx ({same})", 0.8)
    ratio_target("list_first", "first list page, cache off >= 0.5 x nginx (same bytes)", 0.5)
    ratio_target("list_deep", "deep list page, cache off >= 0.5 x nginx (same bytes)", 0.5)
    ratio_target("list_filtered", "filtered list, cache off >= 0.25 x nginx first page", 0.25)
    for key, name in (("search", "search"), ("search_zh", "Chinese search")):
        r = rd_of(key)
        if size == "1m":
            if r:
                summary.append((f"{name} at 1m, cache off: p99 <= 200 ms", ms(r["p99_us"]),
                                verdict(r["p99_us"] <= 200000)))
            else:
                summary.append((f"{name} at 1m, cache off: p99 <= 200 ms",
                                "not available" if not search_on else "no result", "n/a"))
            continue
        if r:
            summary.append((f"{name}, cache off: p99 <= 50 ms", ms(r["p99_us"]),
                            verdict(r["p99_us"] <= 50000)))
            summary.append((f"{name}, cache off: >= 2,000 req/s", rps(r["rps"]),
                            verdict(r["rps"] >= 2000)))
        else:
            for t in ("p99 <= 50 ms", ">= 2,000 req/s"):
                summary.append((f"{name}, cache off: {t}",
                                "not available" if not search_on else "no result", "n/a"))
    if size != "1m":
        summary.append(("search at 1m: p99 <= 200 ms", "1m run only", "n/a"))
    ratio_target("create", "create >= 0.5 x commit rate", 0.5)
    r = rd_of("mixed")
    if r:
        ok = errors(r) == 0 and r["p99_us"] <= 20000
        summary.append(("mixed: 0 errors, p99 <= 20 ms",
                        f"{errors(r)} errors, p99 {ms(r['p99_us'])}", verdict(ok)))
    else:
        summary.append(("mixed: 0 errors, p99 <= 20 ms", "no result", "n/a"))
    summary.append((f"peak RSS, default cache, <= {limit} MiB", f"{hwm / 1024:.1f} MiB",
                    verdict(hwm / 1024 <= limit)))
    scale = (("get_by_id_spread", "get by id (cache off)"), ("list_first", "first list page (cache off)"),
             ("list_deep", "deep list page (cache off)"))
    if size != "1m":
        summary.append(("scale: by id, first page, deep page at 1m within 1.5 x of 10k",
                        "1m run only", "n/a"))
    elif baseline:
        for key, name in scale:
            a = baseline.get("wrk", {}).get(key, {}).get("readoutd")
            b = rd_of(key)
            if a and b:
                x = b["p99_us"] / a["p99_us"]
                summary.append((f"scale: {name} p99 at 1m <= 1.5 x 10k",
                                f"{x:.2f} x ({ms(a['p99_us'])} -> {ms(b['p99_us'])})",
                                verdict(x <= 1.5)))
            else:
                summary.append((f"scale: {name} p99 at 1m <= 1.5 x 10k", "no result", "n/a"))
        w(f"Scale baseline: {baseline.get('meta', {}).get('date', '?')} 10k run "
          f"({baseline.get('meta', {}).get('mode', '?')}).")
        w("")
    else:
        summary.append(("scale (1m vs 10k)", "no 10k result to compare", "n/a"))
    if meta.get("postgres_run") == "yes":
        summary.append(("PostgreSQL: each scenario as a ratio to SQLite",
                        f"`{os.path.basename(out_md)[:-3]}-postgres.md`", "reported"))
    else:
        summary.append(("PostgreSQL: each scenario as a ratio to SQLite",
                        "not run (`bench/run --store postgres`)", "n/a"))
    if starts:
        med = sorted(starts)[len(starts) // 2]
        if size == "1m":
            summary.append(("start <= 50 ms (1m store)", f"{med:.1f} ms", verdict(med <= 50)))
        else:
            summary.append(("start (target is for 1m)", f"{med:.1f} ms", "info"))
    if "get_by_id" in ratios:
        summary.append(("get by id, cached sample, default cache (no target)",
                        f"{ratios['get_by_id']:.3f} x nginx", "info"))
    if "mentions" in ratios:
        summary.append(("mentions, cache off (no target)",
                        f"{ratios['mentions']:.3f} x get by id", "info"))

    w("## Targets")
    w("")
    if smoke:
        w("(Smoke run: verdicts from 2-second runs are indicative only.)")
        w("")
    w("| target | this run | verdict |")
    w("|---|---|---|")
    for t, fig, v in summary:
        w(f"| {t} | {fig} | {v} |")
    w("")
    w("Raw figures: the `.json` file beside this one.")
    text = "\n".join(lines) + "\n"
    with open(out_md, "w") as f:
        f.write(text)
    with open(out_md[:-3] + ".json", "w") as f:
        json.dump({"meta": meta, "wrk": res}, f, indent=1, sort_keys=True)
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
