-- The configuration endpoint on the status server (127.0.0.1 only):
--   POST /configuration/backends  JSON array of backends → shared dict, version + 1, answers 201
--   GET  /configuration/backends  the JSON last stored (404 before the first push)
-- The JSON is validated (decoded and checked) before it is stored, so a bad push never replaces
-- a good one. Workers notice a new version on their next request (see backends.lua).

local backends = require("backends")

local _M = {}

local DATA_KEY = "backends"
local VERSION_KEY = "version"

local function dict()
  return ngx.shared.configuration_data
end

function _M.get_backends()
  return dict():get(DATA_KEY)
end

-- an integer that changes on every successful push; nil before the first one
function _M.get_version()
  return dict():get(VERSION_KEY)
end

local function read_body()
  ngx.req.read_body()
  local body = ngx.req.get_body_data()
  if body then
    return body
  end
  -- a body larger than client_body_buffer_size lands in a file
  local file = ngx.req.get_body_file()
  if not file then
    return nil
  end
  local f, err = io.open(file, "rb")
  if not f then
    ngx.log(ngx.ERR, "could not open request body file: ", err)
    return nil
  end
  body = f:read("*a")
  f:close()
  return body
end

local function respond(status, text)
  ngx.status = status
  if text then
    ngx.print(text)
  end
  return ngx.exit(status)
end

local function handle_backends()
  local method = ngx.req.get_method()
  if method == "GET" then
    local data = _M.get_backends()
    if not data then
      return respond(ngx.HTTP_NOT_FOUND, "no backends pushed yet\n")
    end
    ngx.header["Content-Type"] = "application/json"
    return respond(ngx.HTTP_OK, data)
  end

  if method ~= "POST" then
    return respond(ngx.HTTP_NOT_ALLOWED)
  end

  local body = read_body()
  if not body or #body == 0 then
    return respond(ngx.HTTP_BAD_REQUEST, "empty request body\n")
  end

  local _, err = backends.decode(body)
  if err then
    return respond(ngx.HTTP_BAD_REQUEST, "invalid backends: " .. err .. "\n")
  end

  local ok, set_err = dict():set(DATA_KEY, body)
  if not ok then
    ngx.log(ngx.ERR, "could not store backends: ", set_err)
    return respond(ngx.HTTP_INTERNAL_SERVER_ERROR, "could not store backends: " .. tostring(set_err) .. "\n")
  end
  -- bumped after the data is stored: a worker that reads the new version reads the new data
  local _, incr_err = dict():incr(VERSION_KEY, 1, 0)
  if incr_err then
    ngx.log(ngx.ERR, "could not bump backends version: ", incr_err)
    return respond(ngx.HTTP_INTERNAL_SERVER_ERROR, "could not bump version\n")
  end
  return respond(ngx.HTTP_CREATED)
end

function _M.call()
  if ngx.var.uri == "/configuration/backends" then
    return handle_backends()
  end
  return respond(ngx.HTTP_NOT_FOUND)
end

return _M
