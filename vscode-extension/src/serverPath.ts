// Which `djmig serve` to start: pure logic, file system access injected (unit-tested).
import * as path from 'path';

export type ServerSource = 'setting' | 'python-extension' | 'workspace-venv' | 'python3';

export interface ServerCommand {
  command: string;
  args: string[];
  source: ServerSource;
  /** The interpreter the server runs with, when known. */
  python?: string;
}

export interface ResolveInput {
  /** `djmig.serverPath`: the `djmig` executable, may use `${workspaceFolder}` and `~`. */
  serverPath?: string;
  /** The interpreter selected in the Python extension, when it is installed. */
  pythonExtensionInterpreter?: string;
  /** Workspace folders, as file system paths (the first one anchors relative paths). */
  workspaceFolders: string[];
  platform?: NodeJS.Platform;
  home?: string;
}

export interface Probe {
  isFile(file: string): boolean;
  /** Whether `python` can import djmig (`python -c "import djmig"` succeeds). */
  hasDjmig(python: string): boolean;
}

export type Resolution =
  | { ok: true; server: ServerCommand; tried: string[] }
  | { ok: false; reason: 'server-path-missing'; serverPath: string; tried: string[] }
  | { ok: false; reason: 'not-installed'; python: string; tried: string[] };

const VENVS = ['.venv', 'venv'];

function binDir(platform: NodeJS.Platform): string {
  return platform === 'win32' ? 'Scripts' : 'bin';
}

function exe(name: string, platform: NodeJS.Platform): string {
  return platform === 'win32' ? `${name}.exe` : name;
}

/** `${workspaceFolder}`, `${userHome}` and a leading `~` expanded; relative paths anchored
 * at the first workspace folder. */
export function expandPath(value: string, folders: string[], home = ''): string {
  const root = folders[0] ?? '';
  let result = value
    .trim()
    .replace(/\$\{workspaceFolder\}/g, root)
    .replace(/\$\{userHome\}/g, home);
  if (home && (result === '~' || result.startsWith('~/'))) {
    result = path.join(home, result.slice(1));
  }
  if (!path.isAbsolute(result) && root) {
    result = path.join(root, result);
  }
  return result;
}

/** The server command for one interpreter: the `djmig` script beside it, else
 * `python -m djmig`; undefined when djmig is not installed there. */
function fromInterpreter(
  python: string,
  source: ServerSource,
  probe: Probe,
  platform: NodeJS.Platform,
): ServerCommand | undefined {
  const script = path.join(path.dirname(python), exe('djmig', platform));
  if (path.isAbsolute(python) && probe.isFile(script)) {
    return { command: script, args: ['serve'], source, python };
  }
  if (probe.hasDjmig(python)) {
    return { command: python, args: ['-m', 'djmig', 'serve'], source, python };
  }
  return undefined;
}

/**
 * In order: the `djmig.serverPath` setting, the Python extension's interpreter, `.venv` then
 * `venv` in each workspace folder, then `python3 -m djmig`.
 */
export function resolveServer(input: ResolveInput, probe: Probe): Resolution {
  const platform = input.platform ?? process.platform;
  const tried: string[] = [];
  const configured = input.serverPath?.trim();
  if (configured) {
    const file = expandPath(configured, input.workspaceFolders, input.home);
    tried.push(`djmig.serverPath ${file}`);
    if (!probe.isFile(file)) {
      return { ok: false, reason: 'server-path-missing', serverPath: file, tried };
    }
    return { ok: true, server: { command: file, args: ['serve'], source: 'setting' }, tried };
  }
  const candidates: Array<[string, ServerSource]> = [];
  if (input.pythonExtensionInterpreter) {
    candidates.push([input.pythonExtensionInterpreter, 'python-extension']);
  }
  for (const folder of input.workspaceFolders) {
    for (const venv of VENVS) {
      const python = path.join(folder, venv, binDir(platform), exe('python', platform));
      if (probe.isFile(python)) {
        candidates.push([python, 'workspace-venv']);
      }
    }
  }
  const fallback = platform === 'win32' ? 'python' : 'python3';
  candidates.push([fallback, 'python3']);
  const seen = new Set<string>();
  for (const [python, source] of candidates) {
    if (seen.has(python)) {
      continue;
    }
    seen.add(python);
    tried.push(python);
    const server = fromInterpreter(python, source, probe, platform);
    if (server) {
      return { ok: true, server, tried };
    }
  }
  // Suggest installing into the interpreter the project most likely uses.
  return { ok: false, reason: 'not-installed', python: candidates[0]![0], tried };
}

/** The shell command that installs djmig for `python`. */
export function installCommand(python: string): string {
  const quoted = /[\s"'$`\\]/.test(python) ? `"${python.replace(/(["$`\\])/g, '\\$1')}"` : python;
  return `${quoted} -m pip install djmig`;
}
