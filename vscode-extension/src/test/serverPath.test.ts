import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { expandPath, installCommand, resolveServer, type Probe } from '../serverPath';

/** A fake file system: `files` exist; `withDjmig` interpreters can import djmig. */
function probe(files: string[], withDjmig: string[] = []): Probe & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    isFile: (file) => files.includes(file),
    hasDjmig: (python) => {
      asked.push(python);
      return withDjmig.includes(python);
    },
  };
}

const ws = { workspaceFolders: ['/ws'], platform: 'linux' as const, home: '/home/u' };

describe('resolveServer', () => {
  it('uses djmig.serverPath first, expanding ${workspaceFolder} and ~', () => {
    const p = probe(['/ws/tools/djmig', '/home/u/bin/djmig', '/ws/.venv/bin/python', '/ws/.venv/bin/djmig']);
    const r = resolveServer({ ...ws, serverPath: '${workspaceFolder}/tools/djmig' }, p);
    assert.deepEqual(r.ok && r.server, { command: '/ws/tools/djmig', args: ['serve'], source: 'setting' });
    const home = resolveServer({ ...ws, serverPath: '~/bin/djmig' }, p);
    assert.equal(home.ok && home.server.command, '/home/u/bin/djmig');
    const relative = resolveServer({ ...ws, serverPath: 'tools/djmig' }, p);
    assert.equal(relative.ok && relative.server.command, '/ws/tools/djmig');
  });

  it('reports a serverPath that does not exist instead of falling back', () => {
    const r = resolveServer({ ...ws, serverPath: '/nope/djmig' }, probe(['/ws/.venv/bin/python', '/ws/.venv/bin/djmig']));
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.reason, 'server-path-missing');
  });

  it("then the Python extension's interpreter, preferring the djmig script beside it", () => {
    const p = probe(['/envs/a/bin/python', '/envs/a/bin/djmig', '/ws/.venv/bin/python', '/ws/.venv/bin/djmig']);
    const r = resolveServer({ ...ws, pythonExtensionInterpreter: '/envs/a/bin/python' }, p);
    assert.deepEqual(r.ok && r.server, {
      command: '/envs/a/bin/djmig', args: ['serve'], source: 'python-extension', python: '/envs/a/bin/python',
    });
    assert.deepEqual(p.asked, []);
  });

  it('runs `python -m djmig` when the interpreter has djmig but no script', () => {
    const p = probe(['/envs/a/bin/python'], ['/envs/a/bin/python']);
    const r = resolveServer({ ...ws, pythonExtensionInterpreter: '/envs/a/bin/python' }, p);
    assert.deepEqual(r.ok && r.server.args, ['-m', 'djmig', 'serve']);
    assert.equal(r.ok && r.server.command, '/envs/a/bin/python');
  });

  it('skips an interpreter without djmig and goes on to .venv, then venv', () => {
    const p = probe(['/envs/a/bin/python', '/ws/.venv/bin/python', '/ws/venv/bin/python', '/ws/venv/bin/djmig']);
    const r = resolveServer({ ...ws, pythonExtensionInterpreter: '/envs/a/bin/python' }, p);
    assert.equal(r.ok && r.server.command, '/ws/venv/bin/djmig');
    assert.equal(r.ok && r.server.source, 'workspace-venv');
    assert.deepEqual(r.tried, ['/envs/a/bin/python', '/ws/.venv/bin/python', '/ws/venv/bin/python']);
  });

  it('looks in every workspace folder', () => {
    const p = probe(['/b/.venv/bin/python', '/b/.venv/bin/djmig']);
    const r = resolveServer({ ...ws, workspaceFolders: ['/a', '/b'] }, p);
    assert.equal(r.ok && r.server.command, '/b/.venv/bin/djmig');
  });

  it('falls back to python3 -m djmig', () => {
    const r = resolveServer(ws, probe([], ['python3']));
    assert.deepEqual(r.ok && r.server, { command: 'python3', args: ['-m', 'djmig', 'serve'], source: 'python3', python: 'python3' });
  });

  it('says djmig is not installed, naming the interpreter to install it into', () => {
    const r = resolveServer(ws, probe(['/ws/.venv/bin/python']));
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.reason, 'not-installed');
    assert.equal(!r.ok && r.reason === 'not-installed' && r.python, '/ws/.venv/bin/python');
    assert.deepEqual(r.tried, ['/ws/.venv/bin/python', 'python3']);
    const bare = resolveServer(ws, probe([]));
    assert.equal(!bare.ok && bare.reason === 'not-installed' && bare.python, 'python3');
  });

  it('uses Scripts\\ and .exe on Windows', () => {
    const py = '/ws/.venv/Scripts/python.exe';
    const r = resolveServer({ ...ws, platform: 'win32' }, probe([py, '/ws/.venv/Scripts/djmig.exe']));
    assert.equal(r.ok && r.server.command, '/ws/.venv/Scripts/djmig.exe');
  });
});

describe('expandPath / installCommand', () => {
  it('keeps absolute paths', () => {
    assert.equal(expandPath('/opt/djmig', ['/ws']), '/opt/djmig');
  });
  it('quotes interpreters with spaces', () => {
    assert.equal(installCommand('/ws/.venv/bin/python'), '/ws/.venv/bin/python -m pip install djmig');
    assert.equal(installCommand('/my ws/python'), '"/my ws/python" -m pip install djmig');
  });
});
