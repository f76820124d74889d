-- One fixed request, sent again and again. Arguments: METHOD BODY [Name: value ...]
-- (BODY "" for none). A request answered 4xx/5xx is counted as an error, not as done.
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")

local prepared

function init(args)
  local body = args[2] ~= "" and args[2] or nil
  prepared = wrk.format(args[1], nil, parse_headers(args, 3), body)
end

function request()
  return prepared
end

function done(summary, latency, requests)
  report(summary, latency, summary.requests - summary.errors.status)
end
