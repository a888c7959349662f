-- GET /v1/meetings/{id}/mentions for ids drawn at random from BENCH_IDS
-- (all_ids.txt: every meeting the harness saw while walking the list): the
-- participants and principles each readout of the meeting names.
local c = dofile((os.getenv("BENCH_LUA") or ".") .. "/common.lua")
local ids
setup, done = c.setup, c.done
function init(args)
  c.seed()
  ids = c.lines(os.getenv("BENCH_IDS") or "all_ids.txt")
end
function request()
  return wrk.format("GET", "/v1/meetings/" .. c.pick(ids) .. "/mentions")
end
