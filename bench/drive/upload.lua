-- wrk script: POST the multipart body in the file named by the first argument; the second is
-- its boundary.
wrk.method = "POST"
function init(args)
  local f = assert(io.open(args[1], "rb"))
  wrk.body = f:read("*a")
  f:close()
  wrk.headers["Content-Type"] = "multipart/form-data; boundary=" .. args[2]
end
