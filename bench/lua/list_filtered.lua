-- Filtered list: GET /v1/meetings?participant=P&from=D&to=D. P is one of 100
-- participants (50 frequent, 50 occasional: BENCH_DATA/participants.txt), the
-- range 1 to 5 whole years inside the data's span (BENCH_DATA/years.txt).
local c = dofile((os.getenv("BENCH_LUA") or ".") .. "/common.lua")
local people, y0, y1
setup, done = c.setup, c.done
function init(args)
  c.seed()
  people = c.lines("participants.txt")
  local a, b = c.lines("years.txt")[1]:match("(%d+)%s+(%d+)")
  y0, y1 = tonumber(a), tonumber(b)
end
function filtered_path()
  local from = math.random(y0, y1)
  local to = math.min(y1, from + math.random(0, 4))
  return string.format("/v1/meetings?participant=%s&from=%d-01-01&to=%d-12-31",
                       c.pick(people), from, to)
end
function request()
  return wrk.format("GET", filtered_path())
end
