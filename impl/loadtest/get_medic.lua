-- wrk script: GET /api/v2/medics/{id}/ for random ids in [MIN_ID, MAX_ID] (all owned by TOKEN).
local token = os.getenv("TOKEN")
local min_id = tonumber(os.getenv("MIN_ID"))
local max_id = tonumber(os.getenv("MAX_ID"))

function setup(thread)
  thread:set("seed", math.random(1, 1e9))
end

function init(args)
  math.randomseed(seed)
end

function request()
  return wrk.format("GET", "/api/v2/medics/" .. math.random(min_id, max_id) .. "/",
    { ["Authorization"] = "Token " .. token })
end
