-- Kratos native password login: each sign-in is two requests, `GET /self-service/login/api` for a
-- flow and `POST /self-service/login?flow=ID` with the password (a flow signs in once). Only
-- completed sign-ins are counted as done. Arguments: BODY [Name: value ...]
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")

local threads = {}
local flows = {}
local body, get_flow, post_headers
logins = 0

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  body = args[1]
  local headers = parse_headers(args, 2)
  get_flow = wrk.format("GET", "/self-service/login/api", headers)
  headers["Content-Type"] = "application/json"
  post_headers = headers
end

function request()
  local flow = table.remove(flows)
  if flow then
    return wrk.format("POST", "/self-service/login?flow=" .. flow, post_headers, body)
  end
  return get_flow
end

function response(status, headers, answer)
  if status ~= 200 then
    return
  end
  if answer:find('"session_token"', 1, true) then
    logins = logins + 1
  else
    local flow = answer:match('^{"id":"([^"]+)"')
    if flow then
      table.insert(flows, flow)
    end
  end
end

function done(summary, latency, requests)
  local count = 0
  for _, thread in ipairs(threads) do
    count = count + thread:get("logins")
  end
  report(summary, latency, count)
end
