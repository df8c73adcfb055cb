-- Replays prepared requests, each once: line = METHOD \t PATH \t header: value ... \t BODY; threads split the lines.
local threads_made = 0
local requests = {}
local next_index = 1

function setup(thread)
  thread:set("id", threads_made)
  threads_made = threads_made + 1
end

function init(args)
  local file, count = args[1], tonumber(args[2])
  local n = 0
  for line in io.lines(file) do
    if n % count == id then
      local fields = {}
      for field in string.gmatch(line, "[^\t]+") do table.insert(fields, field) end
      local headers = {}
      for i = 3, #fields - 1 do
        local name, value = string.match(fields[i], "^([^:]+): (.*)$")
        headers[name] = value
      end
      table.insert(requests, wrk.format(fields[1], fields[2], headers, fields[#fields]))
    end
    n = n + 1
  end
end

function request()
  local r = requests[next_index]
  next_index = next_index + 1
  if next_index > #requests then next_index = 1 end
  return r
end
