-- wrk: POST a JSON body (PEER_BODY) with an Authorization header (PEER_AUTH).
wrk.method = "POST"
wrk.body = os.getenv("PEER_BODY")
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = os.getenv("PEER_AUTH")
