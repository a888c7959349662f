-- A deep page of the meeting list: GET /v1/meetings?limit=50&cursor=C with C
-- drawn from BENCH_DATA/cursors.txt, cursors Readout issued while the harness
-- walked the list (pages from the middle to the end of the list). nginx
-- serves the bodies Readout gave for them (pages/C.json).
local c = dofile((os.getenv("BENCH_LUA") or ".") .. "/common.lua")
local cursors
setup, done = c.setup, c.done
function init(args)
  c.seed()
  cursors = c.lines("cursors.txt")
end
function request()
  return wrk.format("GET", "/v1/meetings?limit=50&cursor=" .. c.pick(cursors))
end
