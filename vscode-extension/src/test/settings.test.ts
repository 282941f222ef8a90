import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { initializationOptions, MIRRORED, needsRestart, serverOptions, type MirroredKey } from '../settings';

const defaults: Record<MirroredKey, unknown> = {
  select: [], ignore: [], severity: {}, exclude: [], settingsModule: '', interpreter: '', databaseUrl: '',
  databaseRefreshInterval: 0,
};

function options(set: Partial<Record<MirroredKey, unknown>>) {
  return serverOptions((key) => ({ value: key in set ? set[key] : defaults[key], explicit: key in set }));
}

describe('serverOptions', () => {
  it('sends nothing when nothing is set, so pyproject.toml applies', () => {
    assert.deepEqual(options({}), {});
  });

  it('mirrors every [tool.djmig] key under the names the server accepts', () => {
    assert.deepEqual([...MIRRORED], ['select', 'ignore', 'severity', 'exclude', 'settingsModule', 'interpreter', 'databaseUrl', 'databaseRefreshInterval']);
    const sent = options({
      select: ['DM1'], ignore: ['DM105'], severity: { DM201: 'error' }, exclude: ['legacy/*'],
      settingsModule: ' mysite.settings ', interpreter: '.venv/bin/python', databaseUrl: 'sqlite:///db.sqlite3',
      databaseRefreshInterval: 30,
    });
    assert.deepEqual(sent, {
      select: ['DM1'], ignore: ['DM105'], severity: { DM201: 'error' }, exclude: ['legacy/*'],
      settingsModule: 'mysite.settings', interpreter: '.venv/bin/python', databaseUrl: 'sqlite:///db.sqlite3',
      databaseRefreshInterval: 30,
    });
  });

  it('treats an empty string as unset but keeps an explicit empty list', () => {
    assert.deepEqual(options({ settingsModule: '  ', select: [] }), { select: [] });
  });
});

describe('initializationOptions / needsRestart', () => {
  it('adds the diagnostic mode, auto unless push or pull', () => {
    assert.deepEqual(initializationOptions({ select: ['DM2'] }, 'pull'), { select: ['DM2'], diagnosticMode: 'pull' });
    assert.deepEqual(initializationOptions({}, 'nonsense'), { diagnosticMode: 'auto' });
  });

  it('restarts only when an option sent at start is no longer set', () => {
    assert.equal(needsRestart({}, { select: ['DM1'] }), false);
    assert.equal(needsRestart({ select: ['DM1'] }, { select: ['DM2'] }), false);
    assert.equal(needsRestart({ select: ['DM1'] }, {}), true);
  });
});
