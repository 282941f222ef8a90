-- Headless Neovim end-to-end test of djmig (0.7 and 0.11), loading clients/neovim as a user
-- would: 0.11+ lsp/djmig.lua + vim.lsp.enable, older versions require('djmig').setup().
-- Usage: nvim --headless -u test.lua ROOT/orders/migrations/0002_order_number.py
-- env: DJMIG_REPO (repository), DJMIG_ROOT (project), DJMIG_RESULT (JSON written here)
local repo = assert(os.getenv('DJMIG_REPO'), 'DJMIG_REPO')
local root = assert(os.getenv('DJMIG_ROOT'), 'DJMIG_ROOT')
local result_path = assert(os.getenv('DJMIG_RESULT'), 'DJMIG_RESULT')
local TIMEOUT = tonumber(os.getenv('DJMIG_TIMEOUT_MS') or '30000')
local FIX = 'Add reverse noop'

-- ftplugin/python.vim probes the python3 provider (1-3 s); nothing here needs providers.
for _, p in ipairs({ 'python3', 'python', 'ruby', 'node', 'perl' }) do
  vim.g['loaded_' .. p .. '_provider'] = 0
end
vim.o.swapfile = false

-- The documented set-up (clients/neovim/README.md).
vim.opt.runtimepath:prepend(repo .. '/clients/neovim')
local modern = vim.fn.has('nvim-0.11') == 1
if modern then
  vim.lsp.enable('djmig')
else
  require('djmig').setup()
end

local result = { ok = false, steps = {}, nvim = vim.version(), api = modern and 'vim.lsp.enable' or 'setup' }
local uv = vim.uv or vim.loop
local t0 = uv.hrtime()
local function ms() return math.floor((uv.hrtime() - t0) / 1e6) end
local function step(name, data) table.insert(result.steps, { name = name, t_ms = ms(), data = data }) end
local get_clients = vim.lsp.get_clients or vim.lsp.get_active_clients

local function finish(ok, err)
  result.ok = ok
  result.error = err
  result.total_ms = ms()
  local encoded, json = pcall(vim.fn.json_encode, result)
  if not encoded then
    json = vim.fn.json_encode({ ok = false, error = 'cannot encode the result: ' .. tostring(json) })
  end
  vim.fn.writefile({ json }, result_path)
  for _, c in pairs(get_clients()) do vim.lsp.stop_client(c.id, true) end
  if ok then vim.cmd('qall!') else vim.cmd('cquit 1') end
end

local function djmig_diagnostics()
  local files, count = {}, 0
  for _, d in ipairs(vim.diagnostic.get()) do
    if d.source == 'djmig' then
      local name = vim.api.nvim_buf_get_name(d.bufnr)
      files[name] = (files[name] or 0) + 1
      count = count + 1
    end
  end
  return files, count
end

local function code_of(d)
  return d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code)
end

--- The DM201 diagnostic of the buffer: the one this test fixes.
local function dm201(bufnr)
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    if code_of(d) == 'DM201' then return d end
  end
end

local function line_of(bufnr, pattern)
  for i, line in ipairs(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)) do
    if line:find(pattern, 1, true) then return i, line end
  end
end

local function main()
  local bufnr = vim.api.nvim_get_current_buf()
  step('buffer', { name = vim.api.nvim_buf_get_name(bufnr), filetype = vim.bo[bufnr].filetype })

  -- 1. diagnostics of this file, and of the files never opened (pushed for the workspace)
  local got = vim.wait(TIMEOUT, function() return dm201(bufnr) ~= nil end, 20)
  if not got then return finish(false, 'timeout waiting for diagnostics') end
  local client = get_clients({ bufnr = bufnr })[1] or get_clients()[1]
  local cmd = client.config.cmd
  step('client', { name = client.name, root_dir = client.config.root_dir,
                   cmd = type(cmd) == 'table' and cmd or 'function (lsp/djmig.lua)' })
  -- djmig pushes to Neovim, so it must not offer pull diagnostics too (0.10+ would pull
  -- into a second namespace and show everything twice)
  step('capabilities', { pull = client.server_capabilities.diagnosticProvider ~= nil })
  if client.config.root_dir ~= root then return finish(false, 'wrong root ' .. tostring(client.config.root_dir)) end
  -- let the rest of the workspace's diagnostics arrive (stable for 300 ms)
  local last, since = -1, ms()
  vim.wait(TIMEOUT, function()
    local _, n = djmig_diagnostics()
    if n ~= last then last, since = n, ms() end
    return n > 1 and ms() - since > 300
  end, 20)
  step('workspace_diagnostics', (djmig_diagnostics()))
  step('diagnostics', vim.tbl_map(function(d)
    return { lnum = d.lnum, col = d.col, code = code_of(d), source = d.source, message = d.message }
  end, vim.diagnostic.get(bufnr)))

  -- 2. code actions with the cursor at the start of the DM201 line, as after `26G`
  local d = dm201(bufnr)
  vim.api.nvim_win_set_cursor(0, { d.lnum + 1, 0 })
  local params = vim.lsp.util.make_range_params(0, client.offset_encoding)
  local line_diagnostics = {}
  for _, ld in ipairs(vim.diagnostic.get(bufnr, { lnum = d.lnum })) do
    table.insert(line_diagnostics, {
      range = { start = { line = ld.lnum, character = ld.col },
                ['end'] = { line = ld.end_lnum or ld.lnum, character = ld.end_col or ld.col } },
      message = ld.message, severity = ld.severity, source = ld.source,
      code = code_of(ld),
    })
  end
  params.context = { diagnostics = line_diagnostics }
  local responses = vim.lsp.buf_request_sync(bufnr, 'textDocument/codeAction', params, TIMEOUT)
  local titles = {}
  for _, resp in pairs(responses or {}) do
    for _, a in ipairs(resp.result or {}) do table.insert(titles, a.title) end
  end
  step('code_actions', titles)
  if #titles == 0 then return finish(false, 'no code actions') end

  -- 3. apply it through the UI path: vim.lsp.buf.code_action() -> vim.ui.select
  local picked
  vim.ui.select = function(items, opts, on_choice)
    for i, item in ipairs(items) do
      local title = opts.format_item and opts.format_item(item) or tostring(item)
      if title:find(FIX, 1, true) then
        picked = title
        return on_choice(item, i)
      end
    end
    on_choice(nil, nil)
  end
  vim.lsp.buf.code_action()
  local applied = vim.wait(TIMEOUT, function() return line_of(bufnr, 'assign_order_numbers, migrations.RunPython.noop') ~= nil end, 20)
  local _, fixed_line = line_of(bufnr, 'assign_order_numbers, migrations.RunPython.noop')
  step('applied', { picked = picked, line = fixed_line })
  if not applied then return finish(false, 'code action edit not applied') end

  -- 4. the server re-analyses the edited buffer: DM201 goes away
  local cleared = vim.wait(TIMEOUT, function() return dm201(bufnr) == nil end, 20)
  vim.wait(300, function() return false end, 20) -- a pull after didChange would land now
  step('cleared', vim.tbl_map(function(x) return { code = code_of(x), lnum = x.lnum } end,
                              vim.diagnostic.get(bufnr)))
  if not cleared then return finish(false, 'DM201 still reported after the fix') end
  vim.cmd('silent write')
  finish(true)
end

vim.api.nvim_create_autocmd('VimEnter', {
  once = true,
  callback = function()
    local ok, err = pcall(main)
    if not ok then finish(false, 'lua error: ' .. tostring(err)) end
  end,
})
