// djmig for VS Code: starts `djmig serve`, mirrors the settings, adds the graph and merge
// commands, a status-bar item and the server log.
import { spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as vscode from 'vscode';
import {
  DidChangeConfigurationNotification,
  ExecuteCommandRequest,
  LanguageClient,
  type LanguageClientOptions,
  type ServerOptions as LspServerOptions,
  State,
  TransportKind,
} from 'vscode-languageclient/node';

import { conflictingApps, parseGraph, renderHtml, type MigrationGraph } from './graph';
import { installCommand, resolveServer, type Probe, type Resolution } from './serverPath';
import {
  initializationOptions,
  MIRRORED,
  needsRestart,
  RESTART_SETTINGS,
  serverOptions,
  type MirroredKey,
  type ServerOptions,
} from './settings';

const SECTION = 'djmig';
const SHOW_GRAPH = 'djmig.showGraph';
const CREATE_MERGE = 'djmig.createMergeMigration';
const SOURCES: Record<string, string> = {
  setting: 'djmig.serverPath',
  'python-extension': "the Python extension's interpreter",
  'workspace-venv': 'the workspace virtual environment',
  python3: 'python3 on PATH',
};

/** What the server gets for the `djmig` section of one scope: only what the user set. */
function optionsFor(scope?: vscode.Uri): ServerOptions {
  const config = vscode.workspace.getConfiguration(SECTION, scope);
  return serverOptions((key: MirroredKey) => {
    const seen = config.inspect(key);
    const explicit =
      seen !== undefined &&
      (seen.globalValue !== undefined ||
        seen.workspaceValue !== undefined ||
        seen.workspaceFolderValue !== undefined);
    return { value: config.get(key), explicit };
  });
}

const probe: Probe = {
  isFile(file: string): boolean {
    try {
      return fs.statSync(file).isFile();
    } catch {
      return false;
    }
  },
  hasDjmig(python: string): boolean {
    const run = spawnSync(
      python,
      ['-c', 'import importlib.util, sys; sys.exit(importlib.util.find_spec("djmig") is None)'],
      { timeout: 15000, stdio: 'ignore' },
    );
    return run.status === 0;
  },
};

interface PythonExtensionApi {
  environments?: {
    getActiveEnvironmentPath?(resource?: vscode.Uri): { path: string } | undefined;
    onDidChangeActiveEnvironmentPath?: vscode.Event<unknown>;
  };
  settings?: {
    getExecutionDetails?(resource?: vscode.Uri): { execCommand?: string[] } | undefined;
  };
}

async function pythonExtension(): Promise<PythonExtensionApi | undefined> {
  const extension = vscode.extensions.getExtension<PythonExtensionApi>('ms-python.python');
  if (!extension) {
    return undefined;
  }
  try {
    return extension.isActive ? extension.exports : await extension.activate();
  } catch {
    return undefined;
  }
}

async function selectedInterpreter(folder?: vscode.Uri): Promise<string | undefined> {
  const api = await pythonExtension();
  const active = api?.environments?.getActiveEnvironmentPath?.(folder)?.path;
  if (active && active !== 'python') {
    return active;
  }
  return api?.settings?.getExecutionDetails?.(folder)?.execCommand?.[0];
}

class Djmig implements vscode.Disposable {
  readonly output = vscode.window.createOutputChannel('djmig', { log: true });
  readonly status = vscode.window.createStatusBarItem('djmig.status', vscode.StatusBarAlignment.Left, 0);
  client: LanguageClient | undefined;
  private sentAtStart: ServerOptions = {};
  private starting: Promise<void> | undefined;

  constructor(private readonly context: vscode.ExtensionContext) {
    this.status.name = 'djmig';
    this.status.command = 'djmig.client.showOutput';
    this.setStatus('$(circle-outline) djmig', 'djmig: not started');
    this.status.show();
  }

  private setStatus(text: string, tooltip: string, error = false): void {
    this.status.text = text;
    this.status.tooltip = tooltip;
    this.status.backgroundColor = error ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
  }

  log(message: string): void {
    this.output.info(`[client] ${message}`);
  }

  async resolve(): Promise<Resolution> {
    const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file');
    const config = vscode.workspace.getConfiguration(SECTION);
    return resolveServer(
      {
        serverPath: config.get<string>('serverPath'),
        pythonExtensionInterpreter: await selectedInterpreter(folders[0]?.uri),
        workspaceFolders: folders.map((f) => f.uri.fsPath),
        home: os.homedir(),
      },
      probe,
    );
  }

  start(): Promise<void> {
    this.starting ??= this.doStart().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  private async doStart(): Promise<void> {
    this.setStatus('$(loading~spin) djmig', 'djmig: looking for the server');
    const resolution = await this.resolve();
    if (!resolution.ok) {
      this.log(`djmig not found; tried: ${resolution.tried.join(', ')}`);
      this.setStatus('$(error) djmig', 'djmig is not installed: click for the log', true);
      void this.notifyMissing(resolution);
      return;
    }
    const { server } = resolution;
    this.log(`starting ${[server.command, ...server.args].join(' ')} (from ${SOURCES[server.source]})`);
    const cwd = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    const run = { command: server.command, args: server.args, transport: TransportKind.stdio, options: { cwd } };
    const lspServer: LspServerOptions = { run, debug: run };
    this.sentAtStart = optionsFor(vscode.workspace.workspaceFolders?.[0]?.uri);
    const clientOptions: LanguageClientOptions = {
      documentSelector: [
        { scheme: 'file', language: 'python' },
        { scheme: 'file', pattern: '**/pyproject.toml' },
      ],
      outputChannel: this.output,
      initializationOptions: initializationOptions(
        this.sentAtStart,
        vscode.workspace.getConfiguration(SECTION).get('diagnosticMode'),
      ),
      middleware: {
        workspace: {
          // The server asks for the `djmig` section per folder: answer with what the user
          // set, never the defaults (they would override pyproject.toml).
          configuration: async (params, token, next) => {
            const defaults: unknown = await next(params, token);
            return params.items.map((item, index): unknown => {
              if (item.section !== SECTION) {
                return Array.isArray(defaults) ? (defaults[index] as unknown) : null;
              }
              return optionsFor(item.scopeUri ? vscode.Uri.parse(item.scopeUri) : undefined);
            });
          },
        },
      },
    };
    const client = new LanguageClient('djmig', 'djmig', lspServer, clientOptions);
    this.client = client;
    client.onDidChangeState(({ newState }) => {
      if (this.client !== client) {
        return; // a client stopped by a restart reports its end after the next one started
      }
      if (newState === State.Running) {
        this.setStatus('$(check) djmig', `djmig: running (${server.command})\nClick for the server log`);
      } else if (newState === State.Starting) {
        this.setStatus('$(loading~spin) djmig', 'djmig: starting');
      } else {
        this.setStatus('$(error) djmig', 'djmig: stopped; run "djmig: Restart Server"', true);
      }
    });
    try {
      await client.start();
    } catch (error) {
      this.log(`the server did not start: ${String(error)}`);
      this.setStatus('$(error) djmig', 'djmig: the server did not start; click for the log', true);
      const choice = await vscode.window.showErrorMessage(
        `djmig: the server (${server.command}) did not start. See the log for details.`,
        'Show Log',
      );
      if (choice === 'Show Log') {
        this.output.show();
      }
    }
  }

  private async notifyMissing(resolution: Exclude<Resolution, { ok: true }>): Promise<void> {
    if (resolution.reason === 'server-path-missing') {
      const choice = await vscode.window.showErrorMessage(
        `djmig: djmig.serverPath points to ${resolution.serverPath}, which does not exist.`,
        'Open Settings',
      );
      if (choice === 'Open Settings') {
        await vscode.commands.executeCommand('workbench.action.openSettings', 'djmig.serverPath');
      }
      return;
    }
    const install = installCommand(resolution.python);
    const choice = await vscode.window.showErrorMessage(
      `djmig is not installed. Install it with \`${install}\` (into your project's virtual environment), ` +
        'or set "djmig.serverPath" to the djmig executable, then run "djmig: Restart Server".',
      'Install in Terminal',
      'Open Settings',
      'Show Log',
    );
    if (choice === 'Install in Terminal') {
      const terminal = vscode.window.createTerminal('djmig install');
      terminal.show();
      terminal.sendText(install);
    } else if (choice === 'Open Settings') {
      await vscode.commands.executeCommand('workbench.action.openSettings', 'djmig.serverPath');
    } else if (choice === 'Show Log') {
      this.output.show();
    }
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) {
      try {
        await client.stop(5000);
      } catch (error) {
        this.log(`stopping the server: ${String(error)}`);
      }
      await client.dispose().catch(() => undefined);
    }
  }

  async restart(): Promise<void> {
    await this.starting;
    await this.stop();
    await this.start();
  }

  async onConfigurationChanged(event: vscode.ConfigurationChangeEvent): Promise<void> {
    if (!event.affectsConfiguration(SECTION)) {
      return;
    }
    if (RESTART_SETTINGS.some((s) => event.affectsConfiguration(s)) || !this.client?.isRunning()) {
      this.log('settings changed: restarting the server');
      await this.restart();
      return;
    }
    if (!MIRRORED.some((key) => event.affectsConfiguration(`${SECTION}.${key}`))) {
      return;
    }
    if (needsRestart(this.sentAtStart, optionsFor(vscode.workspace.workspaceFolders?.[0]?.uri))) {
      this.log('a setting sent at start was removed: restarting the server');
      await this.restart();
      return;
    }
    // settings: null makes the server ask for each folder's settings (workspace/configuration).
    await this.client.sendNotification(DidChangeConfigurationNotification.type, { settings: null });
  }

  async running(): Promise<LanguageClient | undefined> {
    await this.starting;
    if (!this.client?.isRunning()) {
      await this.restart();
    }
    if (!this.client?.isRunning()) {
      void vscode.window.showErrorMessage('djmig: the server is not running (see the djmig log).');
      return undefined;
    }
    return this.client;
  }

  folder(): vscode.WorkspaceFolder | undefined {
    const active = vscode.window.activeTextEditor?.document.uri;
    return (active && vscode.workspace.getWorkspaceFolder(active)) ?? vscode.workspace.workspaceFolders?.[0];
  }

  async graph(client: LanguageClient, folder: vscode.WorkspaceFolder): Promise<MigrationGraph | undefined> {
    const text: unknown = await client.sendRequest(ExecuteCommandRequest.type, {
      command: SHOW_GRAPH,
      arguments: [folder.uri.toString(), 'json'],
    });
    if (text === null || text === undefined) {
      void vscode.window.showWarningMessage(`djmig: no migration graph for ${folder.name} (still indexing?).`);
      return undefined;
    }
    return parseGraph(text);
  }

  async showGraph(): Promise<void> {
    const client = await this.running();
    const folder = this.folder();
    if (!client || !folder) {
      return;
    }
    const graph = await this.graph(client, folder);
    if (!graph) {
      return;
    }
    const title = `djmig: Migration Graph (${folder.name})`;
    const panel = vscode.window.createWebviewPanel('djmig.graph', title, vscode.ViewColumn.Active, {
      enableScripts: true,
    });
    panel.webview.html = renderHtml(graph, {
      nonce: crypto.randomBytes(16).toString('hex'),
      cspSource: panel.webview.cspSource,
      title,
    });
    panel.webview.onDidReceiveMessage(
      async (message: { open?: string }) => {
        if (message.open) {
          await vscode.window.showTextDocument(vscode.Uri.file(message.open), { viewColumn: vscode.ViewColumn.Beside });
        }
      },
      undefined,
      this.context.subscriptions,
    );
  }

  async createMergeMigration(): Promise<void> {
    const client = await this.running();
    const folder = this.folder();
    if (!client || !folder) {
      return;
    }
    const graph = await this.graph(client, folder);
    if (!graph) {
      return;
    }
    const apps = conflictingApps(graph);
    if (apps.length === 0) {
      void vscode.window.showInformationMessage('djmig: no app has conflicting migrations (one leaf each).');
      return;
    }
    const active = vscode.window.activeTextEditor?.document.uri.fsPath;
    const activeApp = graph.nodes.find((n) => n.path === active && apps.includes(n.app_label))?.app_label;
    const app =
      activeApp ??
      (apps.length === 1
        ? apps[0]
        : await vscode.window.showQuickPick(
            apps.map((a) => ({ label: a, description: (graph.leaf_nodes[a] ?? []).join(', ') })),
            { placeHolder: 'App whose leaf migrations to merge' },
          ).then((pick) => pick?.label));
    if (!app) {
      return;
    }
    const leaf = graph.nodes.find((n) => n.app_label === app && (graph.leaf_nodes[app] ?? []).includes(n.name) && n.path);
    if (!leaf?.path) {
      return;
    }
    const created: unknown = await client.sendRequest(ExecuteCommandRequest.type, {
      command: CREATE_MERGE,
      arguments: [vscode.Uri.file(leaf.path).toString(), app],
    });
    if (typeof created === 'string' && created) {
      await vscode.window.showTextDocument(vscode.Uri.file(created));
      void vscode.window.showInformationMessage(`djmig: created ${created}`);
    } else {
      void vscode.window.showWarningMessage(`djmig: no merge migration was created for ${app}.`);
    }
  }

  dispose(): void {
    this.status.dispose();
    this.output.dispose();
  }
}

interface JsonPosition {
  line: number;
  character: number;
}

interface JsonLocation {
  uri: string;
  range: { start: JsonPosition; end: JsonPosition };
}

/** The "N dependents" code lens: the server's JSON arguments as VS Code's references peek. */
async function showReferences(uri: string, position: JsonPosition, locations: JsonLocation[]): Promise<void> {
  const range = (r: JsonLocation['range']): vscode.Range =>
    new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character);
  await vscode.commands.executeCommand(
    'editor.action.showReferences',
    vscode.Uri.parse(uri),
    new vscode.Position(position.line, position.character),
    locations.map((l) => new vscode.Location(vscode.Uri.parse(l.uri), range(l.range))),
  );
}

let djmig: Djmig | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  djmig = new Djmig(context);
  const d = djmig;
  context.subscriptions.push(
    d,
    vscode.commands.registerCommand('djmig.client.restartServer', () => d.restart()),
    vscode.commands.registerCommand('djmig.client.showGraph', () => d.showGraph()),
    vscode.commands.registerCommand('djmig.client.createMergeMigration', () => d.createMergeMigration()),
    vscode.commands.registerCommand('djmig.client.showOutput', () => d.output.show()),
    vscode.commands.registerCommand('djmig.client.showReferences', showReferences),
    vscode.workspace.onDidChangeConfiguration((event) => d.onConfigurationChanged(event)),
  );
  const python = await pythonExtension();
  const changed = python?.environments?.onDidChangeActiveEnvironmentPath;
  if (changed) {
    context.subscriptions.push(
      changed(() => {
        if (!vscode.workspace.getConfiguration(SECTION).get<string>('serverPath')) {
          void d.restart();
        }
      }),
    );
  }
  await d.start();
}

export async function deactivate(): Promise<void> {
  await djmig?.stop();
}
