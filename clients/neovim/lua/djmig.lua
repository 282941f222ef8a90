-- djmig language server for Neovim 0.7 and later: `require('djmig').setup()` in init.lua.
-- On 0.11+ prefer lsp/djmig.lua with vim.lsp.enable('djmig') (see README.md); this module
-- is what older versions need (vim.lsp.start on 0.8-0.10, vim.lsp.start_client on 0.7).
local M = {}

--- Files that mark a Django project's root, most specific first.
M.root_markers = { 'manage.py', 'pyproject.toml', 'setup.cfg', '.git' }

local function is_executable(path)
  return path and vim.fn.executable(path) == 1
end

--- The server command for a project root: the `djmig` of the project's virtual environment
--- (.venv, venv), else of $VIRTUAL_ENV, else `djmig` on PATH, else `python3 -m djmig`.
function M.cmd(root)
  local candidates = {}
  if root then
    table.insert(candidates, root .. '/.venv/bin/djmig')
    table.insert(candidates, root .. '/venv/bin/djmig')
  end
  if vim.env.VIRTUAL_ENV then
    table.insert(candidates, vim.env.VIRTUAL_ENV .. '/bin/djmig')
  end
  for _, path in ipairs(candidates) do
    if is_executable(path) then
      return { path, 'serve' }
    end
  end
  if is_executable('djmig') then
    return { 'djmig', 'serve' }
  end
  return { 'python3', '-m', 'djmig', 'serve' }
end

--- The project root of a file: the nearest directory upwards with a root marker.
function M.root(path)
  local dir = vim.fn.fnamemodify(path, ':p:h')
  for _, marker in ipairs(M.root_markers) do
    local found = vim.fn.findfile(marker, dir .. ';')
    if found == '' then
      found = vim.fn.finddir(marker, dir .. ';')
    end
    if found ~= '' then
      return (vim.fn.fnamemodify(found, ':p:h'):gsub('/%.git$', ''))
    end
  end
  return nil
end

M.clients = {} -- root -> client id (0.7)

--- The "N dependents" code lens runs this client-side command: its third argument holds the
--- locations, listed in the quickfix window.
local function show_references(command, ctx)
  local client = vim.lsp.get_client_by_id(ctx.client_id)
  local locations = (command.arguments or {})[3] or {}
  local items = vim.lsp.util.locations_to_items(locations, client and client.offset_encoding or 'utf-16')
  vim.fn.setqflist({}, ' ', { title = command.title, items = items })
  vim.cmd('copen')
end

--- Start (or reuse) the server for the buffer's project and attach the buffer.
function M.attach(bufnr, opts)
  opts = opts or {}
  local name = vim.api.nvim_buf_get_name(bufnr)
  local root = name ~= '' and M.root(name)
  if not root then
    return nil
  end
  local config = {
    name = 'djmig',
    cmd = opts.cmd or M.cmd(root),
    root_dir = root,
    init_options = opts.init_options, -- e.g. { select = { 'DM1', 'DM201' } }
    settings = { djmig = opts.settings or vim.empty_dict() },
    on_attach = opts.on_attach,
    commands = { ['djmig.client.showReferences'] = show_references },
  }
  if vim.lsp.start then -- 0.8+: starts once per root, then attaches
    return vim.lsp.start(config, { bufnr = bufnr })
  end
  local id = M.clients[root]
  if not id or not vim.lsp.get_client_by_id(id) then
    id = vim.lsp.start_client(config)
    M.clients[root] = id
  end
  if id then
    vim.lsp.buf_attach_client(bufnr, id)
  end
  return id
end

--- Attach to every Python buffer of a Django project.
function M.setup(opts)
  local group = vim.api.nvim_create_augroup('djmig', { clear = true })
  vim.api.nvim_create_autocmd('FileType', {
    group = group,
    pattern = 'python',
    callback = function(args)
      M.attach(args.buf, opts)
    end,
  })
end

return M
