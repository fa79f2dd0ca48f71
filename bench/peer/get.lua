-- wrk: GET with an Authorization header (PEER_AUTH).
wrk.headers["Authorization"] = os.getenv("PEER_AUTH")
