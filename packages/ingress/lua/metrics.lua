-- Request counters, counted in log_by_lua into a shared dict (so all workers add to one number and
-- a reload keeps them), and served as JSON by GET /metrics-data on the status server.
-- Labels: namespace, ingress, service, host (the server's hostname from the model, never the request's
-- Host header, so a client cannot create unbounded label values), status.

local cjson = require("cjson.safe")

local _M = {}

local SEP = "\31" -- ASCII unit separator: cannot occur in a namespace, name, hostname or status

function _M.count()
  local dict = ngx.shared.metrics_data
  local key = table.concat({
    ngx.var.namespace or "",
    ngx.var.ingress_name or "",
    ngx.var.service_name or "",
    ngx.var.ingress_host or "",
    tostring(ngx.status),
  }, SEP)
  local _, err = dict:incr(key, 1, 0)
  if err then
    ngx.log(ngx.WARN, "could not count request: ", err)
  end
end

local function split(key)
  local out = {}
  for part in (key .. SEP):gmatch("(.-)" .. SEP) do
    out[#out + 1] = part
  end
  return out
end

function _M.report()
  local dict = ngx.shared.metrics_data
  local requests = {}
  for _, key in ipairs(dict:get_keys(0)) do
    local count = dict:get(key)
    local f = split(key)
    if count and #f == 5 then
      requests[#requests + 1] = {
        namespace = f[1], ingress = f[2], service = f[3], host = f[4], status = tonumber(f[5]), count = count,
      }
    end
  end
  local rest = cjson.encode({
    -- from the stub_status module's variables
    connections = {
      active = tonumber(ngx.var.connections_active),
      reading = tonumber(ngx.var.connections_reading),
      writing = tonumber(ngx.var.connections_writing),
      waiting = tonumber(ngx.var.connections_waiting),
    },
    backendsVersion = ngx.shared.configuration_data:get("version"),
  })
  -- Debian's lua-cjson encodes an empty table as {}; the report promises an array
  local list = #requests == 0 and "[]" or cjson.encode(requests)
  ngx.header["Content-Type"] = "application/json"
  ngx.say('{"requests":', list, ",", rest:sub(2))
end

return _M
