-- wrk script: POST a JSON body (first script argument) to the URL.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
function init(args) wrk.body = args[1] or "{}" end
