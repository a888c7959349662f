-- Mixed load, 80/15/5: reads (65 get by id, 10 first list page, 5 filtered
-- list), 15 search, 5 create. With BENCH_SEARCH=0 (search not available on
-- this build) the 15 search requests go to the filtered list instead.
local lua = os.getenv("BENCH_LUA") or "."
local c = dofile(lua .. "/common.lua")
dofile(lua .. "/list_filtered.lua")
local init_filtered = init
dofile(lua .. "/create.lua")
local init_create = init
setup, done = c.setup, c.done
local ids, queries, qi, search_on
function init(args)
  init_filtered(args)
  init_create(args)
  ids = c.lines("ids.txt")
  search_on = os.getenv("BENCH_SEARCH") ~= "0"
  if search_on then
    queries = c.lines("queries.txt")
    for k = 1, #queries do queries[k] = c.urlencode(queries[k]) end
  end
  qi = search_on and c.start_offset(#queries) or 0
end
function request()
  local r = math.random(100)
  if r <= 65 then
    return wrk.format("GET", "/v1/meetings/" .. c.pick(ids))
  elseif r <= 75 then
    return wrk.format("GET", "/v1/meetings?limit=50")
  elseif r <= 80 then
    return wrk.format("GET", filtered_path())
  elseif r <= 95 then
    if not search_on then return wrk.format("GET", filtered_path()) end
    qi = qi % #queries + 1
    return wrk.format("GET", "/v1/search?q=" .. queries[qi])
  end
  return create_request()
end
