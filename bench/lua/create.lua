-- POST /v1/meetings: a new meeting with a unique title (run, thread, counter),
-- a random date, two participants and two principles (one reaffirmed by the
-- host, one cited), authenticated with BENCH_TOKEN.
local c = dofile((os.getenv("BENCH_LUA") or ".") .. "/common.lua")
local people, principles, n, run
local headers = {}
setup, done = c.setup, c.done
function init(args)
  c.seed()
  people = c.lines("participants.txt")
  principles = c.lines("principles.txt")
  n = 0
  run = os.getenv("BENCH_RUN") or tostring(os.time())
  headers["Authorization"] = "Bearer " .. (os.getenv("BENCH_TOKEN") or "")
  headers["Content-Type"] = "application/json"
end
function create_request()
  n = n + 1
  local a = c.pick(people)
  local b = a
  while b == a do b = c.pick(people) end
  local p = c.pick(principles)
  local q = p
  while q == p do q = c.pick(principles) end
  local body = string.format(
    '{"title":"Benchmark meeting %s %d-%d on bilateral cooperation","date":"%04d-%02d-%02d",' ..
    '"participants":[{"slug":"%s","role":"host"},{"slug":"%s","role":"guest"}],' ..
    '"principles":[{"slug":"%s","stance":"reaffirmed","invoked_by":"%s"},' ..
    '{"slug":"%s","stance":"cited"}]}',
    run, thread_id or 1, n, math.random(1995, 2025), math.random(1, 12), math.random(1, 28), a, b,
    p, a, q)
  return wrk.format("POST", "/v1/meetings", headers, body)
end
request = create_request
