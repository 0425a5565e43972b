-- wrk script for the herd benchmark: every request registers a new device.
-- Each request has a name of its own (header X-Device: PREFIX<n>, which the
-- bench-only nginx location passes as the subject CN=PREFIX<n>) and a key
-- of its own, read from HERD_KEYS (one base64 key a line, made beforehand so
-- that making keys costs nothing during the run). Thread t of T takes keys
-- t, t+T, t+2T, ...; a thread that runs out stops, and says so.
--   HERD_KEYS=FILE HERD_PREFIX=h1a HERD_THREADS=T wrk -t T -s herd.lua ...
-- done() prints: HERD ok=N other=M exhausted=E (M: answers of 400 or more,
-- and requests lost to a socket error or a timeout)
--
-- wrk runs in the same VM as nginx and autowg, so its own work per request
-- is kept small: the request is one string concatenation (not wrk.format,
-- which builds it from tables), and there is no response() function, whose
-- mere presence makes wrk copy every answer's headers and body into Lua. The
-- answers' statuses come from wrk's own count of those of 400 or more, and
-- bench/vm_bench checks autowg's log for as many registrations.
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
  step = tonumber(os.getenv("HERD_THREADS"))
  index = id + 1 - step
  exhausted = 0
  -- Everything but the name's number, the length and the key.
  head = "POST /vpn/v1/register HTTP/1.1\r\nHost: " .. wrk.headers["Host"] ..
    "\r\nX-Device: " .. os.getenv("HERD_PREFIX")
end

function request()
  index = index + step
  local key = keys[index]
  if not key then
    exhausted = 1
    wrk.thread:stop()
    return wrk.format("GET", "/herd-exhausted")
  end
  return head .. index .. "\r\nContent-Length: " .. (#key + 1) .. "\r\n\r\n" .. key .. "\n"
end

function done(summary, latency, requests)
  local exhausted_threads = 0
  for _, thread in ipairs(threads) do exhausted_threads = exhausted_threads + thread:get("exhausted") end
  local e = summary.errors
  local other = e.status + e.connect + e.read + e.write + e.timeout
  io.write(string.format("HERD ok=%d other=%d exhausted=%d\n", summary.requests - e.status, other,
    exhausted_threads))
end
