-- db_load.py's requests: GET $WRK_DB_PATH/{id} with ids taken at random from the file
-- $WRK_DB_IDS (one a line), or POST $WRK_DB_PATH with the JSON body $WRK_DB_BODY.
-- The report is wrk_report.lua's ($WRK_REPORT_LUA).
local mode = os.getenv("WRK_DB_MODE") or "get"
local prefix = os.getenv("WRK_DB_PATH")

if mode == "get" then
  local ids = {}
  for line in io.lines(os.getenv("WRK_DB_IDS")) do
    ids[#ids + 1] = line
  end
  -- each wrk thread has its own Lua state: seed each differently
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)"), 16) % 100000)
  request = function()
    return wrk.format("GET", prefix .. "/" .. ids[math.random(#ids)])
  end
else
  wrk.method = "POST"
  wrk.path = prefix
  wrk.body = os.getenv("WRK_DB_BODY")
  wrk.headers["Content-Type"] = "application/json"
end

dofile(os.getenv("WRK_REPORT_LUA"))
