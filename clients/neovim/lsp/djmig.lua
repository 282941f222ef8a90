-- djmig language server for Neovim 0.11+ (vim.lsp.config; the nvim-lspconfig `lsp/` format).
-- Put this file on 'runtimepath' as lsp/djmig.lua (e.g. ~/.config/nvim/lsp/djmig.lua) and
-- call vim.lsp.enable('djmig'). Override anything with vim.lsp.config('djmig', { ... }).
local venvs = { '.venv', 'venv' }

--- The project's djmig (.venv, venv, $VIRTUAL_ENV), else djmig on PATH, else python3 -m djmig.
local function server_cmd(root)
  local candidates = {}
  for _, venv in ipairs(venvs) do
    if root then
      table.insert(candidates, root .. '/' .. venv .. '/bin/djmig')
    end
  end
  if vim.env.VIRTUAL_ENV then
    table.insert(candidates, vim.env.VIRTUAL_ENV .. '/bin/djmig')
  end
  table.insert(candidates, 'djmig')
  for _, path in ipairs(candidates) do
    if vim.fn.executable(path) == 1 then
      return { path, 'serve' }
    end
  end
  return { 'python3', '-m', 'djmig', 'serve' }
end

--- The "N dependents" code lens runs this client-side command: its third argument holds the
--- locations, listed in the quickfix window.
local function show_references(command, ctx)
  local client = vim.lsp.get_client_by_id(ctx.client_id)
  local locations = (command.arguments or {})[3] or {}
  local items = vim.lsp.util.locations_to_items(locations, client and client.offset_encoding or 'utf-16')
  vim.fn.setqflist({}, ' ', { title = command.title, items = items })
  vim.cmd('copen')
end

---@type vim.lsp.Config
return {
  cmd = function(dispatchers, config)
    local root = config and config.root_dir
    return vim.lsp.rpc.start(server_cmd(root), dispatchers, { cwd = root })
  end,
  filetypes = { 'python' },
  -- manage.py marks a Django project's root, before any pyproject.toml or .git
  root_markers = { 'manage.py', 'pyproject.toml', 'setup.cfg', '.git' },
  -- the same keys as [tool.djmig], which they override: select, ignore, severity,
  -- exclude, settingsModule, interpreter, databaseUrl
  init_options = vim.empty_dict(),
  settings = { djmig = vim.empty_dict() },
  commands = { ['djmig.client.showReferences'] = show_references },
}
