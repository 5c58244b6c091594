-- Shared by track.lua and batch.lua (wrk 4.x, LuaJIT). Loaded with dofile() from each script's
-- top level, so it runs in wrk's main Lua state and in every thread's state.
--
-- Each thread counts the statuses it sees; done() sums them over the threads and prints
-- "BENCH <key> <value>" lines that run.sh reads. A 200 whose body is not exactly
-- {"success":true} (a batch with rejected messages) is counted as bad_body.

local OK_BODY = '{"success":true}'
local threads = {}

function setup(thread)
   table.insert(threads, thread)
   thread:set("tid", #threads)
end

-- Per-thread state; init() of the including script calls this.
function bench_init(args)
   run_prefix = args[1] or "run"
   non200 = 0
   bad_body = 0
   statuses = {}
   sample = ""
   id_prefix = run_prefix .. "-" .. tid .. "-"
   n = 0
   timestamp = os.date("!%Y-%m-%dT%H:%M:%S.000Z")
   math.randomseed(os.time() * 100 + tid)
end

function response(status, headers, body)
   if status ~= 200 then
      non200 = non200 + 1
      statuses[status] = (statuses[status] or 0) + 1
      if sample == "" then sample = status .. " " .. string.sub(body or "", 1, 300) end
   elseif body ~= OK_BODY then
      bad_body = bad_body + 1
      if sample == "" then sample = "200 " .. string.sub(body or "", 1, 300) end
   end
end

-- Pacing, for the run at a fixed fraction of the peak. wrk has no fixed-rate mode; it calls
-- delay() (milliseconds, truncated to an integer) before each request of a connection when the
-- function exists. delay() must be defined at the top level: wrk looks for it in its main Lua
-- state, where init() never runs.
--
-- With SLUICE_BENCH_RATE (req/s, all threads) and SLUICE_BENCH_THREADS set, each thread hands out
-- evenly spaced send slots on the monotonic clock (LuaJIT FFI, clock_gettime): each request
-- waits for the next free slot, so the thread sends RATE/THREADS req/s whatever the response
-- time, and its connections do not march in lock-step. A slot already past is not caught up
-- (no bursts): if the server falls behind, the achieved rate drops below the target and the
-- report shows it. The per-connection wait then averages CONNECTIONS*1000/RATE ms minus the
-- response time.
--
-- Without the FFI, each connection waits SLUICE_BENCH_PACE_MS (= CONNECTIONS*1000/RATE) on
-- average, drawn uniformly from [0.5, 1.5] x that and dithered to whole milliseconds; the
-- response time then adds to each cycle and the achieved rate falls somewhat short of the target.
local rate = tonumber(os.getenv("SLUICE_BENCH_RATE") or "")
local rate_threads = tonumber(os.getenv("SLUICE_BENCH_THREADS") or "")
local pace_ms = tonumber(os.getenv("SLUICE_BENCH_PACE_MS") or "")
local has_ffi, ffi = pcall(require, "ffi")
pacing = "none"
if rate and rate > 0 and rate_threads and rate_threads > 0 and has_ffi then
   pacing = "schedule"
   ffi.cdef[[
      typedef struct { long tv_sec; long tv_nsec; } sluice_bench_timespec;
      int clock_gettime(int clock_id, sluice_bench_timespec *tp);
   ]]
   local now_ts = ffi.new("sluice_bench_timespec")
   local function now_ms()
      ffi.C.clock_gettime(1, now_ts) -- CLOCK_MONOTONIC
      return tonumber(now_ts.tv_sec) * 1000 + tonumber(now_ts.tv_nsec) / 1e6
   end
   local interval = 1000 * rate_threads / rate
   local next_slot = nil
   function delay()
      local now = now_ms()
      if next_slot == nil or next_slot < now then next_slot = now end
      local wait = next_slot - now
      next_slot = next_slot + interval
      return math.floor(wait + 0.5)
   end
elseif pace_ms and pace_ms > 0 then
   pacing = "per-connection"
   function delay()
      local x = pace_ms * (0.5 + math.random())
      local f = math.floor(x)
      if math.random() < x - f then f = f + 1 end
      return f
   end
end

function done(summary, latency, requests)
   local total_non200, total_bad, codes, first = 0, 0, {}, ""
   for _, t in ipairs(threads) do
      total_non200 = total_non200 + (t:get("non200") or 0)
      total_bad = total_bad + (t:get("bad_body") or 0)
      for code, count in pairs(t:get("statuses") or {}) do
         codes[code] = (codes[code] or 0) + count
      end
      local s = t:get("sample") or ""
      if first == "" then first = s end
   end
   local e = summary.errors
   local out = {
      "pacing " .. pacing,
      "requests " .. summary.requests,
      "duration_us " .. summary.duration,
      "ok " .. (summary.requests - total_non200 - total_bad),
      "non200 " .. total_non200,
      "bad_body " .. total_bad,
      "socket_errors " .. (e.connect + e.read + e.write + e.timeout),
      string.format("socket_detail connect=%d,read=%d,write=%d,timeout=%d", e.connect, e.read, e.write, e.timeout),
      string.format("p50_us %d", latency:percentile(50)),
      string.format("p99_us %d", latency:percentile(99)),
      string.format("mean_us %.0f", latency.mean),
      string.format("max_us %d", latency.max),
   }
   local detail = {}
   for code, count in pairs(codes) do table.insert(detail, code .. "=" .. count) end
   table.sort(detail)
   table.insert(out, "statuses " .. (#detail > 0 and table.concat(detail, ",") or "none"))
   table.insert(out, "sample " .. string.gsub(first, "[\r\n|]", " "))
   for _, line in ipairs(out) do io.write("BENCH ", line, "\n") end
end
