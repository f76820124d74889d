-- Shared by the scripts here: parses "Name: value" arguments into a header table, and prints the
-- run's summary as one JSON line that bench/wrk_load.py reads.

function parse_headers(args, first)
  local headers = {}
  for i = first, #args do
    local name, value = args[i]:match("^([^:]+):%s*(.*)$")
    if name then
      headers[name] = value
    end
  end
  return headers
end

function report(summary, latency, done_count)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"done":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}}\n',
    summary.requests, done_count, summary.duration, latency:percentile(50),
    latency:percentile(99), e.connect, e.read, e.write, e.status, e.timeout))
end
