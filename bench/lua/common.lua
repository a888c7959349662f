-- Shared by every wrk script of bench/: data files, per-thread random seeds
-- and the machine-readable summary. Loaded with dofile() from each script.
--   BENCH_DATA    directory of the data files (ids.txt, cursors.txt, ...)
--   BENCH_RESULT  file that done() writes one JSON object to
local M = {}

local data = os.getenv("BENCH_DATA") or "."

-- The lines of BENCH_DATA/name, without empty ones.
function M.lines(name)
  local out = {}
  local f = assert(io.open(data .. "/" .. name, "r"), "cannot open " .. data .. "/" .. name)
  for line in f:lines() do
    if line ~= "" then out[#out + 1] = line end
  end
  f:close()
  assert(#out > 0, name .. " is empty")
  return out
end

function M.pick(list)
  return list[math.random(#list)]
end

function M.urlencode(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

-- Numbers each thread (visible as the global `thread_id` in its init()).
local counter = 0
function M.setup(thread)
  counter = counter + 1
  thread:set("thread_id", counter)
end

-- Where this thread starts in a rotation of n items: threads far apart, and
-- each run (BENCH_RUN: the warm-up has its own) somewhere else, so a
-- measured run does not replay what its warm-up left in a cache.
function M.start_offset(n)
  local h = 0
  for k = 1, #(os.getenv("BENCH_RUN") or "") do
    h = (h * 31 + string.byte(os.getenv("BENCH_RUN"), k)) % 1000003
  end
  return (h + ((thread_id or 1) - 1) * math.floor(n / 2)) % n
end

function M.seed()
  math.randomseed(7919 * (thread_id or 1) + 17)
end

-- Writes the run's figures as JSON (latencies in microseconds).
function M.done(summary, latency, requests)
  local e = summary.errors
  local secs = summary.duration / 1e6
  local out = string.format(
    '{"requests":%d,"duration_s":%.3f,"rps":%.1f,"bytes":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"p999_us":%d,"max_us":%d,"mean_us":%.1f,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}}\n',
    summary.requests, secs, summary.requests / secs, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max, latency.mean,
    e.connect, e.read, e.write, e.status, e.timeout)
  local path = os.getenv("BENCH_RESULT")
  if path then
    local f = assert(io.open(path, "w"))
    f:write(out)
    f:close()
  else
    io.write(out)
  end
end

return M
