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

SCENARIOS = [  # (key, title, what is measured)
    ("get_by_id", "Get by id", "GET /v1/meetings/{id}, ids drawn at random from the fetched sample"),
    ("get_by_id_spread", "Get by id, spread over the store", "GET /v1/meetings/{id}, ids drawn "
     "from every meeting the harness walked (10k: all of them; 1m: the newest 500,000), so "
     "most answers cannot come from a response cache; the reference is nginx's get-by-id "
     "figure (a sample of the same size of body, not the same bytes)"),
    ("list_first", "First list page (50)", "GET /v1/meetings?limit=50"),
    ("list_deep", "Deep list page", "GET /v1/meetings?limit=50&cursor=C, C a cursor issued "
     "past the middle of the walked list"),
    ("list_filtered", "Filtered list", "GET /v1/meetings?participant=P&from=D&to=D"),
    ("search", "Search", "GET /v1/search?q=Q, rotating through 20,000 queries (9,506 distinct): "
     "common, rare, middling words, two-word ANDs, names, prefixes, phrases"),
    ("create", "Create", "POST /v1/meetings, unique titles, 2 participants"),
    ("mixed", "Mixed 80/15/5", "65 get by id, 10 first page, 5 filtered list, 15 search, 5 create"),
]


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
    w("| scenario | PostgreSQL req/s | SQLite req/s | ratio (req/s) | PostgreSQL p99 | SQLite p99 | errors (PG) |")
    w("|---|---:|---:|---:|---:|---:|---:|")
    for key, title, _ in SCENARIOS:
        pg = res.get(key, {}).get("readoutd")
        sq = lite.get(key, {}).get("readoutd")
        if not pg or not sq:
            w(f"| {title} | {rps(pg['rps']) if pg else '-'} | {rps(sq['rps']) if sq else '-'} | - | "
              f"{ms(pg['p99_us']) if pg else '-'} | {ms(sq['p99_us']) if sq else '-'} | "
              f"{errors(pg) if pg else '-'} |")
            continue
        ratio = pg["rps"] / sq["rps"] if sq["rps"] else 0
        w(f"| {title} | {rps(pg['rps'])} | {rps(sq['rps'])} | **{ratio:.2f}** | {ms(pg['p99_us'])} | "
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
    w(f"- peak RSS of readoutd: {hwm / 1024:.1f} MiB (SQLite run: {lhwm / 1024:.1f} MiB; "
      "PostgreSQL's own processes not counted)")
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
    if "walk" in meta:
        p = json.loads(meta["walk"])
        w(f"- deep cursors: {p['deep_cursors']} cursors issued between rows {p['rows'] // 2:,} "
          f"and {p['rows']:,} of the list (walked with limit={p.get('limit', 200)})")
    w("")

    summary = []  # (target, figure, verdict)
    ref_id = res.get("get_by_id", {}).get("nginx")
    ref_list = res.get("list_first", {}).get("nginx")
    first_p99 = res.get("list_first", {}).get("readoutd", {}).get("p99_us")

    w("## Scenarios")
    w("")
    w("Latencies are wrk's (client side, including queueing on 32 connections); "
      "errors are socket errors plus responses with status >= 400.")
    w("")
    for key, title, what in SCENARIOS:
        r = res.get(key, {})
        w(f"### {title}")
        w("")
        w(what + ".")
        w("")
        if key == "search" and not search_on:
            w(f"Not available: `GET /v1/search` answered {meta.get('search_status', '404')} on this "
              "build, so the scenario did not run (its script, bench/lua/search.lua, stays in the "
              "harness).")
            w("")
            summary.append(("search p99 <= 50 ms", "not available", "n/a"))
            summary.append(("search >= 0.02 x nginx get-by-id req/s", "not available", "n/a"))
            continue
        if "readoutd" not in r:
            w("No result (the run failed; see the log).")
            w("")
            continue
        rd = r["readoutd"]
        ref, ref_name = None, None
        if key in ("get_by_id", "list_first"):
            ref, ref_name = r.get("nginx"), "nginx, same bytes"
        elif key == "get_by_id_spread":
            ref, ref_name = ref_id, "nginx get by id"
        elif key in ("list_deep", "list_filtered"):
            ref, ref_name = ref_list, "nginx first list page"
        elif key == "search":
            ref, ref_name = ref_id, "nginx get by id"
        w("| server | requests/s | p50 | p99 | errors | server CPU / request | ratio (req/s) |")
        w("|---|---:|---:|---:|---:|---:|---:|")
        ratio = None
        if key == "create" and commit_rate:
            ratio = rd["rps"] / commit_rate
            rtext = f"{ratio:.3f} x commit rate"
        elif ref:
            ratio = rd["rps"] / ref["rps"] if ref["rps"] else 0
            rtext = f"{ratio:.3f} x {ref_name}"
        else:
            rtext = "-"
        w(f"| readoutd | {rps(rd['rps'])} | {ms(rd['p50_us'])} | {ms(rd['p99_us'])} | "
          f"{errors(rd)} | {cpu(rd)} | {rtext} |")
        if key in ("get_by_id", "list_first") and ref:
            w(f"| nginx (reference) | {rps(ref['rps'])} | {ms(ref['p50_us'])} | "
              f"{ms(ref['p99_us'])} | {errors(ref)} | {cpu(ref)} | 1 |")
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
        if key == "mixed" and not search_on:
            w("Search was not available, so its 15 % went to the filtered list.")
            w("")
        # targets
        if key == "get_by_id" and ratio is not None:
            summary.append(("get by id >= 0.8 x nginx", f"{ratio:.3f}", verdict(ratio >= 0.8)))
        elif key == "list_first" and ratio is not None:
            summary.append(("first list page >= 0.25 x nginx", f"{ratio:.3f}", verdict(ratio >= 0.25)))
        elif key == "list_deep" and first_p99:
            x = rd["p99_us"] / first_p99
            w(f"p99 is {x:.2f} x the first page's p99 ({ms(first_p99)}).")
            w("")
            summary.append(("deep page p99 <= 1.2 x first page p99", f"{x:.2f} x",
                            verdict(x <= 1.2)))
        elif key == "search":
            summary.append(("search p99 <= 50 ms", ms(rd["p99_us"]), verdict(rd["p99_us"] <= 50000)))
            if ratio is not None:
                summary.append(("search >= 0.02 x nginx get-by-id req/s", f"{ratio:.4f}",
                                verdict(ratio >= 0.02)))
        elif key == "create" and ratio is not None:
            summary.append(("create >= 0.5 x commit rate", f"{ratio:.3f}", verdict(ratio >= 0.5)))
        elif key == "mixed":
            ok = errors(rd) == 0 and rd["p99_us"] <= 20000
            summary.append(("mixed: 0 errors, p99 <= 20 ms",
                            f"{errors(rd)} errors, p99 {ms(rd['p99_us'])}", verdict(ok)))

    w("## Process")
    w("")
    hwm = int(meta.get("vmhwm_kb", "0") or 0)
    limit = 64 if size == "1m" else 32
    starts = [float(x) for x in meta.get("start_ms", "").split() if x]
    w(f"- peak RSS (VmHWM of readoutd after every scenario): {hwm / 1024:.1f} MiB "
      f"(target <= {limit} MiB)")
    if meta.get("csv_rows"):
        w(f"- CSV stream of every meeting (`GET /v1/meetings?format=csv`, one client): "
          f"{int(meta['csv_rows']):,} rows, {int(meta['csv_bytes']) / 2**20:,.1f} MiB in "
          f"{float(meta['csv_seconds']):.2f} s ({int(meta['csv_rows_per_s']):,} rows/s); "
          f"server RSS {int(meta['csv_rss_before_kb']) / 1024:.1f} MiB before, "
          f"peak {int(meta['csv_vmhwm_kb']) / 1024:.1f} MiB during the stream")
    if starts:
        srt = sorted(starts)
        w(f"- exec to first 200 of /healthz: " + ", ".join(f"{s:.1f}" for s in starts) +
          f" ms (median {srt[len(srt) // 2]:.1f} ms over {len(starts)} starts)")
    w("")
    summary.append((f"peak RSS <= {limit} MiB", f"{hwm / 1024:.1f} MiB",
                    verdict(hwm / 1024 <= limit)))
    if starts:
        med = sorted(starts)[len(starts) // 2]
        if size == "1m":
            summary.append(("start <= 50 ms (1m store)", f"{med:.1f} ms", verdict(med <= 50)))
        else:
            summary.append(("start (target is for 1m)", f"{med:.1f} ms", "info"))

    if size == "1m":
        if baseline:
            for key, name in (("get_by_id", "get by id"), ("list_first", "first list page"),
                              ("list_deep", "deep list page")):
                a = baseline.get("wrk", {}).get(key, {}).get("readoutd")
                b = res.get(key, {}).get("readoutd")
                if a and b:
                    x = b["p99_us"] / a["p99_us"]
                    summary.append((f"scale: {name} p99 at 1m <= 1.5 x 10k",
                                    f"{x:.2f} x ({ms(a['p99_us'])} -> {ms(b['p99_us'])})",
                                    verdict(x <= 1.5)))
            w(f"Scale baseline: {baseline.get('meta', {}).get('date', '?')} 10k run "
              f"({baseline.get('meta', {}).get('mode', '?')}).")
            w("")
        else:
            summary.append(("scale (1m vs 10k)", "no 10k result to compare", "n/a"))

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
