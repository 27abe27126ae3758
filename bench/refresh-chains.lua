-- wrk script for bench/refresh.bench.mjs: each thread drives one connection, and each connection
-- is one refresh chain: it presents the refresh token the previous answer returned. The starting
-- tokens come one per line from the file named by REFRESH_TOKENS_FILE. A chain stops at its
-- first failed refresh (repeating that token would be a reuse). done() prints one JSON line.
local tokens, handed = nil, 0
local threads = {}

function setup(thread)
  if not tokens then
    tokens = {}
    for line in io.lines(os.getenv("REFRESH_TOKENS_FILE")) do tokens[#tokens + 1] = line end
  end
  handed = handed + 1
  thread:set("token", tokens[handed])
  table.insert(threads, thread)
end

function init(args)
  failures = 0
  lastStatus = 0
end

function request()
  return wrk.format("POST", "/auth/refresh", { ["Content-Type"] = "application/json" }, '{"refreshToken":"' .. token .. '"}')
end

function response(status, headers, body)
  local next = status == 200 and body:match('"refreshToken":"([^"]+)"')
  if next then
    token = next
  else
    failures = failures + 1
    lastStatus = status
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local failed, status = 0, 0
  for _, thread in ipairs(threads) do
    failed = failed + thread:get("failures")
    if thread:get("lastStatus") ~= 0 then status = thread:get("lastStatus") end
  end
  io.write(string.format('{"requests":%d,"durationUs":%d,"p50Us":%d,"p99Us":%d,"maxUs":%d,"failed":%d,"lastFailedStatus":%d,"socketErrors":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max, failed, status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
