-- wrk script for the herd benchmark: every request registers a new device.
-- Each request has a name of its own (header X-Device: PREFIX<n>, which the
-- bench-only nginx location passes as the subject CN=PREFIX<n>) and a key
-- of its own, read from HERD_KEYS (one base64 key a line, made beforehand so
-- that making keys costs nothing during the run). Thread t of T takes keys
-- t, t+T, t+2T, ...; a thread that runs out stops, and says so.
--   HERD_KEYS=FILE HERD_PREFIX=h1a HERD_THREADS=T wrk -t T -s herd.lua ...
-- done() prints: HERD ok=N other=M exhausted=E (M: answers other than 200)
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  keys = {}
  for line in io.lines(os.getenv("HERD_KEYS")) do keys[#keys + 1] = line end
  prefix = os.getenv("HERD_PREFIX")
  step = tonumber(os.getenv("HERD_THREADS"))
  index = id + 1 - step
  ok, other, exhausted = 0, 0, 0
end

function request()
  index = index + step
  local key = keys[index]
  if not key then
    exhausted = 1
    wrk.thread:stop()
    return wrk.format("GET", "/herd-exhausted")
  end
  return wrk.format("POST", "/vpn/v1/register", { ["X-Device"] = prefix .. index }, key .. "\n")
end

function response(status, headers, body)
  if status == 200 then ok = ok + 1 else other = other + 1 end
end

function done(summary, latency, requests)
  local total = { ok = 0, other = 0, exhausted = 0 }
  for _, thread in ipairs(threads) do
    for k in pairs(total) do total[k] = total[k] + thread:get(k) end
  end
  io.write(string.format("HERD ok=%d other=%d exhausted=%d\n", total.ok, total.other, total.exhausted))
end
