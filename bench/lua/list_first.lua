-- The first page of the meeting list, GET /v1/meetings?limit=50 (nginx serves
-- the body Readout gave for it, fetched before the run).
local c = dofile((os.getenv("BENCH_LUA") or ".") .. "/common.lua")
setup, done = c.setup, c.done
local req
function init(args)
  req = wrk.format("GET", "/v1/meetings?limit=50")
end
function request()
  return req
end
