// A fix that points at what mcp-doctor has not checked (an origin a redirect chose) is shown,
// never written by --fix --write nor tried: the user judges it.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fixEdit } from '../src/fix/fix-edit.ts';
import { tryability } from '../src/fix/fix-safety.ts';

describe('untried fixes', () => {
  const base = { summary: 'configure the URL the redirect points to', toml: '[mcp_servers.x]\nurl = "https://127.0.0.1:9/mcp"\n' };

  test('the same url change is an edit without the mark, and unusable with it (the reason kept)', () => {
    assert.equal(fixEdit(base).kind, 'edit');
    const marked = fixEdit({ ...base, untried: 'it points at https://127.0.0.1:9, which mcp-doctor did not contact' });
    assert.deepEqual(marked, { kind: 'unusable', reason: 'it points at https://127.0.0.1:9, which mcp-doctor did not contact' });
  });

  test('tryability refuses it too', () => {
    const edit = fixEdit(base);
    assert.equal(edit.kind, 'edit');
    if (edit.kind !== 'edit') return;
    const server: any = { name: 'x', url: 'http://127.0.0.1:9/mcp', raw: {} };
    assert.deepEqual(tryability({ ...base, untried: 'not contacted' }, edit.edit, 'x', server), { ok: false, reason: 'not contacted' });
  });
});
