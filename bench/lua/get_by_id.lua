-- GET /v1/meetings/{id} for ids drawn at random from BENCH_DATA/ids.txt: the
-- same ids nginx serves as files in the reference run, so bytes match.
-- BENCH_IDS names another list (all_ids.txt: every meeting the harness saw
-- while walking the list, for the get-by-id-spread scenario; spread_ids.txt:
-- the ones nginx has bodies of, all of them at 10k, a sample at 1m).
-- BENCH_SUFFIX is appended to the path (/mentions for the mentions scenario).
local c = dofile((os.getenv("BENCH_LUA") or ".") .. "/common.lua")
local ids
local suffix = os.getenv("BENCH_SUFFIX") or ""
setup, done = c.setup, c.done
function init(args)
  c.seed()
  ids = c.lines(os.getenv("BENCH_IDS") or "ids.txt")
end
function request()
  return wrk.format("GET", "/v1/meetings/" .. c.pick(ids) .. suffix)
end
