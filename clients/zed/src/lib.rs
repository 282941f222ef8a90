//! Zed extension that starts `djmig serve` for Python files.
//!
//! The server: `lsp.djmig.binary.path` (+ `arguments`) from the settings, else the
//! worktree's `.venv/bin/djmig` or `venv/bin/djmig`, else `djmig` on the worktree's PATH.
use zed_extension_api::{self as zed, serde_json, settings::LspSettings, LanguageServerId, Result};

const SERVER: &str = "djmig";

struct Djmig;

impl zed::Extension for Djmig {
    fn new() -> Self {
        Djmig
    }

    fn language_server_command(
        &mut self,
        _language_server_id: &LanguageServerId,
        worktree: &zed::Worktree,
    ) -> Result<zed::Command> {
        let env = worktree.shell_env();
        let binary = LspSettings::for_worktree(SERVER, worktree)
            .ok()
            .and_then(|settings| settings.binary);
        let args = binary
            .as_ref()
            .and_then(|b| b.arguments.clone())
            .unwrap_or_else(|| vec!["serve".to_string()]);
        if let Some(path) = binary.and_then(|b| b.path) {
            return Ok(zed::Command { command: path, args, env });
        }
        // A virtual environment in the project: pyvenv.cfg is a text file the API can read.
        let root = worktree.root_path();
        for venv in [".venv", "venv"] {
            if worktree.read_text_file(&format!("{venv}/pyvenv.cfg")).is_ok() {
                let command = format!("{root}/{venv}/bin/{SERVER}");
                return Ok(zed::Command { command, args, env });
            }
        }
        match worktree.which(SERVER) {
            Some(command) => Ok(zed::Command { command, args, env }),
            None => Err("djmig not found: `pip install djmig` into the project's .venv, \
                         or set lsp.djmig.binary.path in settings.json"
                .to_string()),
        }
    }

    fn language_server_initialization_options(
        &mut self,
        _language_server_id: &LanguageServerId,
        worktree: &zed::Worktree,
    ) -> Result<Option<serde_json::Value>> {
        Ok(LspSettings::for_worktree(SERVER, worktree)
            .ok()
            .and_then(|settings| settings.initialization_options))
    }

    fn language_server_workspace_configuration(
        &mut self,
        _language_server_id: &LanguageServerId,
        worktree: &zed::Worktree,
    ) -> Result<Option<serde_json::Value>> {
        let settings = LspSettings::for_worktree(SERVER, worktree)
            .ok()
            .and_then(|settings| settings.settings)
            .unwrap_or_else(|| serde_json::json!({}));
        Ok(Some(serde_json::json!({ "djmig": settings })))
    }
}

zed::register_extension!(Djmig);
