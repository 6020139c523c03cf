-- wrk script: the first page of GET /api/v2/medics/ as TOKEN.
wrk.method = "GET"
wrk.path = "/api/v2/medics/"
wrk.headers["Authorization"] = "Token " .. os.getenv("TOKEN")
