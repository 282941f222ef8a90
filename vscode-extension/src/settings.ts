// VS Code settings ↔ the server's options (`[tool.djmig]` keys): pure logic, unit-tested.

/** Settings that mirror `[tool.djmig]`, under the names the server accepts. */
export const MIRRORED = [
  'select',
  'ignore',
  'severity',
  'exclude',
  'settingsModule',
  'interpreter',
  'databaseUrl',
  'databaseRefreshInterval',
] as const;

export type MirroredKey = (typeof MIRRORED)[number];

export interface SettingValue {
  value: unknown;
  /** Set by the user (user, workspace or folder settings), not just the default. */
  explicit: boolean;
}

export type ServerOptions = Partial<Record<MirroredKey, unknown>>;

/**
 * The options to send: only the settings the user set, so that `pyproject.toml` keeps
 * applying to everything else (the server layers options over `[tool.djmig]`). An empty
 * string means "not set".
 */
export function serverOptions(get: (key: MirroredKey) => SettingValue): ServerOptions {
  const options: ServerOptions = {};
  for (const key of MIRRORED) {
    const { value, explicit } = get(key);
    if (!explicit || value === undefined || value === null) {
      continue;
    }
    if (typeof value === 'string') {
      if (value.trim() !== '') {
        options[key] = value.trim();
      }
      continue;
    }
    options[key] = value;
  }
  return options;
}

export type DiagnosticMode = 'auto' | 'push' | 'pull';

export function initializationOptions(
  options: ServerOptions,
  diagnosticMode: unknown,
): Record<string, unknown> {
  const mode: DiagnosticMode =
    diagnosticMode === 'push' || diagnosticMode === 'pull' ? diagnosticMode : 'auto';
  return { ...options, diagnosticMode: mode };
}

/**
 * Whether a settings change needs a restart rather than `workspace/didChangeConfiguration`:
 * the server keeps its initialization options under any later settings, so an option that
 * was sent at start and is no longer set can only be dropped by restarting.
 */
export function needsRestart(sentAtStart: ServerOptions, now: ServerOptions): boolean {
  return Object.keys(sentAtStart).some((key) => !(key in now));
}

/** Settings whose change always restarts the server. */
export const RESTART_SETTINGS = ['djmig.serverPath', 'djmig.diagnosticMode'];
