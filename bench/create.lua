-- wrk script: notes/create with a distinct text per request; the token is the first argument.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local token, n, tid, threads = "", 0, 0, 0
function setup(thread) threads = threads + 1; thread:set("tid", threads) end
function init(args) token = args[1] end
function request()
  n = n + 1
  local body = string.format('{"i":"%s","text":"bench note %d from thread %d #bench","visibility":"public"}', token, n, tid)
  return wrk.format("POST", nil, nil, body)
end
