-- GET /v1/search?q=... rotating through BENCH_DATA/queries.txt (20,000 made by
-- prep.py params): common words, rare (invented: a handful of hits or none)
-- words, middling words, two-word ANDs, people's names, prefixes (word*) and
-- quoted phrases, in a fixed order; each thread starts at its own place.
-- BENCH_QUERIES names another list (queries_zh.txt: Chinese queries only).
local c = dofile((os.getenv("BENCH_LUA") or ".") .. "/common.lua")
local queries, i
setup, done = c.setup, c.done
function init(args)
  c.seed()
  queries = c.lines(os.getenv("BENCH_QUERIES") or "queries.txt")
  for k = 1, #queries do queries[k] = c.urlencode(queries[k]) end
  i = c.start_offset(#queries)
end
function request()
  i = i % #queries + 1
  return wrk.format("GET", "/v1/search?q=" .. queries[i])
end
