-- wrk: POST a new reader's forecast (no cookie, no token: every request is a new reader).
-- The three probabilities vary with the request number so the counts spread over percents.
-- Usage: wrk -s bench/forecast.lua http://127.0.0.1:PORT/api/v1/questions/SLUG/forecasts
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

local n = 0
local keys = { "us-russia-cooperation", "us-eu-strain", "global-instability" }

request = function()
  n = n + 1
  local parts = {}
  for i, key in ipairs(keys) do
    parts[i] = string.format('"%s": %d', key, 1 + (n * (7 + 13 * (i - 1))) % 99)
  end
  local body = '{"probabilities": {' .. table.concat(parts, ", ") .. '}}'
  return wrk.format(nil, nil, nil, body)
end
