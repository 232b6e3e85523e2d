-- wrk script: POST a new project per request (unique name per thread and request) and
-- print a JSON summary line. Args: <prefix> [POST|GET|BODY <the body of every request>]
local counter = 0
local next_id = 0

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
end

function init(args)
  prefix = args[1] or "p"
  mode = args[2] or "POST"
  fixed = args[3] or ""
end

function request()
  if mode == "GET" then
    return wrk.format("GET", wrk.path, wrk.headers)
  end
  if mode == "BODY" then
    return wrk.format("POST", wrk.path, wrk.headers, fixed)
  end
  counter = counter + 1
  local name = string.format("%s-%d-%d", prefix, tid, counter)
  local body = '{"name":"' .. name .. '","description":"created by the benchmark",'
    .. '"settings":{"max_parallel":4,"labels":["bench"]}}'
  return wrk.format("POST", wrk.path, wrk.headers, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCHJSON {"requests":%d,"duration_us":%d,"status_errors":%d,"connect_errors":%d,'
    .. '"read_errors":%d,"write_errors":%d,"timeouts":%d,'
    .. '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean))
end
