-- wrk script for tests/bench/run-webhook-bench: signed comment webhooks, each with a unique id.
--   WEBHOOK_BODIES=FILE wrk -t2 -c64 -d15s --latency -s webhook_load.lua http://127.0.0.1:PORT/webhooks/bench -- 2
-- (the argument after "--" is the -t value). FILE holds "signature<TAB>body" lines (gen_webhook_bodies.py: wrk's Lua has no HMAC). Thread k of
-- n takes lines k, k+n, k+2n, ... so that no two threads send the same comment id; requests are
-- pre-formatted in init() so that wrk spends its (shared) CPU on sending, not on Lua.
-- If a thread runs out of lines it starts its slice again and counts the wrap in done(): repeated
-- ids are answered 200 but stored once, so the run's stored/acknowledged check would not hold.

local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local requests = {}
local n_requests = 0
local wraps = 0
local next_index = 1

function init(args)
  local path = os.getenv("WEBHOOK_BODIES")
  if path == nil or path == "" then
    error("set WEBHOOK_BODIES to the file from gen_webhook_bodies.py")
  end
  -- wrk runs setup(thread k) and that thread's init() before creating thread k+1, so the thread
  -- count cannot be counted here: the runner passes it (the value of -t) after "--".
  local nthreads = tonumber(args[1] or os.getenv("WEBHOOK_THREADS") or "") or 1
  local i = 0
  for line in io.lines(path) do
    if i % nthreads == tid then
      local tab = line:find("\t", 1, true)
      local headers = {
        ["Content-Type"] = "application/json",
        ["X-Moderatord-Signature"] = line:sub(1, tab - 1),
      }
      n_requests = n_requests + 1
      requests[n_requests] = wrk.format("POST", nil, headers, line:sub(tab + 1))
    end
    i = i + 1
  end
  if n_requests == 0 then error("no deliveries for thread " .. tid .. " in " .. path) end
end

function request()
  if next_index > n_requests then
    next_index = 1
    wraps = wraps + 1
    wrk.thread:set("wraps", wraps)
  end
  local r = requests[next_index]
  next_index = next_index + 1
  return r
end

function done(summary, latency, requests_stats)
  local wrapped = 0
  for _, t in ipairs(threads) do wrapped = wrapped + (t:get("wraps") or 0) end
  local e = summary.errors
  local seconds = summary.duration / 1e6
  io.write(string.format(
    "WEBHOOK_BENCH requests=%d duration_s=%.3f req_per_s=%.1f bytes=%d non2xx=%d connect_err=%d read_err=%d " ..
    "write_err=%d timeouts=%d wraps=%d p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f mean_ms=%.3f\n",
    summary.requests, seconds, summary.requests / seconds, summary.bytes, e.status, e.connect, e.read, e.write,
    e.timeout, wrapped, latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency:percentile(99.9) / 1000, latency.max / 1000, latency.mean / 1000))
end
