-- wrk script: notes/create by many accounts in turn (one token per line in the file given as
-- the first argument), each request with its own text.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local tokens, n, tid, threads = {}, 0, 0, 0
function setup(thread) threads = threads + 1; thread:set("tid", threads) end
function init(args)
  for line in io.lines(args[1]) do tokens[#tokens + 1] = line end
end
function request()
  n = n + 1
  local token = tokens[((n * 7 + tid * 13) % #tokens) + 1]
  local body = string.format('{"i":"%s","text":"bench note %d from thread %d #bench","visibility":"public"}', token, n, tid)
  return wrk.format("POST", nil, nil, body)
end
