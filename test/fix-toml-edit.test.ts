import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { deleteKey, editToml, renameKey, setKey, type EditOutcome } from '../src/fix/toml-edit.ts';
import { formatValue } from '../src/fix/toml-value.ts';
import { ROOT } from './helpers/cli.ts';
import { prng } from './helpers/prng.ts';

const FIXTURE = readFileSync(join(ROOT, 'fixtures', 'configs', 'commented-real-world.toml'), 'utf8');
const CRLF_FIXTURE = FIXTURE.replace(/\n/g, '\r\n');

/** Parsed TOML as plain JSON-comparable data (null-prototype tables, dates). */
function plain(value: unknown): unknown {
  if (value instanceof Date) return { date: value.toISOString() };
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  if (typeof value === 'bigint') return Number(value);
  return value;
}

function parsed(text: string): any {
  return plain(parse(text));
}

function ok(outcome: EditOutcome): string {
  if (!outcome.ok) assert.fail(`edit refused: ${outcome.reason}`);
  return outcome.text;
}

/** Every `# comment` in the text, as written (the part of each line from its `#`). */
function comments(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => /(?:^|\s)(#.*)$/.exec(line)?.[1])
    .filter((c): c is string => c !== undefined);
}

function assertAllCommentsKept(before: string, after: string, except: string[] = []): void {
  for (const comment of comments(before)) {
    if (except.some((e) => comment.includes(e))) continue;
    assert.ok(after.includes(comment), `comment lost: ${comment}`);
  }
}

/** The lines of `after` that are not in `before`, and the reverse (as multisets). */
function lineChanges(before: string, after: string): { added: string[]; removed: string[] } {
  const count = (lines: string[]) => {
    const m = new Map<string, number>();
    for (const l of lines) m.set(l, (m.get(l) ?? 0) + 1);
    return m;
  };
  const a = count(before.split(/\r?\n/));
  const b = count(after.split(/\r?\n/));
  const added: string[] = [];
  const removed: string[] = [];
  for (const [line, n] of b) for (let i = (a.get(line) ?? 0); i < n; i++) added.push(line);
  for (const [line, n] of a) for (let i = (b.get(line) ?? 0); i < n; i++) removed.push(line);
  return { added, removed };
}

describe('setKey on a commented real-world config', () => {
  for (const [label, text, eol] of [
    ['LF', FIXTURE, '\n'],
    ['CRLF', CRLF_FIXTURE, '\r\n'],
  ] as const) {
    describe(label, () => {
      test('replaces an existing value in place, keeping spacing and the trailing comment', () => {
        const after = ok(setKey(text, ['mcp_servers', 'filesystem'], 'startup_timeout_sec', 60));
        assert.equal(after, text.replace('\tstartup_timeout_sec  =  10   # tab-indented', '\tstartup_timeout_sec  =  60   # tab-indented'));
        assert.equal(parsed(after).mcp_servers.filesystem.startup_timeout_sec, 60);
      });

      test('inserts a missing key after the table\'s last key, not after a commented-out line', () => {
        const after = ok(setKey(text, ['mcp_servers', 'github'], 'startup_timeout_sec', 45));
        const anchor = `type = "http"   # copied from a Claude config${eol}`;
        assert.equal(after, text.replace(anchor, `${anchor}startup_timeout_sec = 45${eol}`));
        assertAllCommentsKept(text, after);
      });

      test('a table whose keys are dotted under [mcp_servers] gets a dotted key in the same style', () => {
        const after = ok(setKey(text, ['mcp_servers', 'legacy'], 'startup_timeout_sec', 5));
        const anchor = `legacy . enabled = false  # spaced dots${eol}`;
        assert.equal(after, text.replace(anchor, `${anchor}legacy . startup_timeout_sec = 5${eol}`));
        assert.deepEqual(parsed(after).mcp_servers.legacy, { url: 'http://127.0.0.1:4000/mcp/', enabled: false, startup_timeout_sec: 5 });
      });

      test('a dotted key is replaced in place', () => {
        const after = ok(setKey(text, ['mcp_servers', 'legacy'], 'url', 'http://127.0.0.1:4000/mcp'));
        assert.equal(after, text.replace('legacy.url = "http://127.0.0.1:4000/mcp/"', 'legacy.url = "http://127.0.0.1:4000/mcp"'));
      });

      test('a missing table is created at the end, separated by a blank line', () => {
        const after = ok(setKey(text, ['mcp_servers', 'new-one'], 'url', 'http://127.0.0.1:9/mcp'));
        assert.equal(after, `${text}${eol}[mcp_servers.new-one]${eol}url = "http://127.0.0.1:9/mcp"${eol}`);
      });

      test('appending to an array keeps its layout and its comments', () => {
        const after = ok(setKey(text, ['mcp_servers', 'filesystem'], 'env_vars', ['HOME', 'NVM_DIR', 'API_KEY']));
        assert.equal(after, text.replace(`    "NVM_DIR"${eol}]`, `    "NVM_DIR",${eol}    "API_KEY"${eol}]`));
        assertAllCommentsKept(text, after);
        const single = ok(setKey(text, ['mcp_servers', 'docs.site'], 'enabled_tools', ['search', 'fetch', 'echo']));
        assert.equal(single, text.replace('enabled_tools = ["search", "fetch"]', 'enabled_tools = ["search", "fetch", "echo"]'));
      });

      test('a literal-string value stays a literal string', () => {
        const after = ok(setKey(text, ['mcp_servers', 'filesystem'], 'command', 'C:\\tools\\npx.cmd'));
        assert.equal(after, text.replace("command='npx'", "command='C:\\tools\\npx.cmd'"));
      });

      test('the line ending of the file is kept: no bare LF in a CRLF file', () => {
        let after = ok(setKey(text, ['mcp_servers', 'x'], 'url', 'http://h/mcp'));
        after = ok(setKey(after, ['mcp_servers', 'github'], 'tool_timeout_sec', 90));
        if (eol === '\r\n') assert.equal(/(?<!\r)\n/.test(after), false);
        else assert.equal(after.includes('\r'), false);
      });
    });
  }

  test('the value is written as TOML: escapes that JSON would get wrong for TOML', () => {
    const tricky = 'quote " backslash \\ newline \n tab \t del \u007f bell \u0007 emoji 🦀 ñ';
    const after = ok(setKey(FIXTURE, ['mcp_servers', 'github'], 'note', tricky));
    assert.equal(parsed(after).mcp_servers.github.note, tricky);
    assert.match(after, /\\u007F/);
  });

  test('a key that needs quotes is quoted', () => {
    const after = ok(setKey(FIXTURE, ['mcp_servers', 'github'], 'odd key.with dot', true));
    assert.match(after, /^"odd key\.with dot" = true$/m);
    assert.equal(parsed(after).mcp_servers.github['odd key.with dot'], true);
  });

  test('a quoted table name is found and edited', () => {
    const after = ok(setKey(FIXTURE, ['mcp_servers', 'docs.site'], 'url', 'http://127.0.0.1:3000/mcp'));
    assert.deepEqual(lineChanges(FIXTURE, after), { added: ['url = "http://127.0.0.1:3000/mcp"'], removed: ['url = "http://127.0.0.1:3000/sse"'] });
  });

  test('a key after a multi-line string lands after the string, which is left intact', () => {
    const after = ok(setKey(FIXTURE, ['mcp_servers', 'multi'], 'startup_timeout_sec', 20));
    assert.equal(after, FIXTURE.replace('tool_timeout_sec = 120.5\n', 'tool_timeout_sec = 120.5\nstartup_timeout_sec = 20\n'));
    assert.equal(parsed(after).mcp_servers.multi.description, 'A multi-line string\nwith # not a comment\n');
  });

  test('setting the value a key already has changes nothing', () => {
    const outcome = setKey(FIXTURE, ['mcp_servers', 'github'], 'type', 'http');
    assert.deepEqual(outcome, { ok: true, text: FIXTURE, changed: false });
  });
});

describe('deleteKey', () => {
  test('deletes the line with its trailing comment, nothing else', () => {
    const after = ok(deleteKey(FIXTURE, ['mcp_servers', 'github'], 'type'));
    assert.equal(after, FIXTURE.replace('type = "http"   # copied from a Claude config\n', ''));
  });

  test('deletes a key written as a sub-table with its whole section, keeping the comment above it', () => {
    const after = ok(deleteKey(FIXTURE, ['mcp_servers', 'filesystem'], 'env'));
    assert.equal(after, FIXTURE.replace('  [mcp_servers.filesystem.env]\n  LOG_LEVEL = "debug"\n  "odd key" = \'value with "quotes"\'\n', ''));
    assert.equal(parsed(after).mcp_servers.filesystem.env, undefined);
    assertAllCommentsKept(FIXTURE, after);
  });

  test('deletes a multi-line array whole', () => {
    const after = ok(deleteKey(FIXTURE, ['mcp_servers', 'filesystem'], 'env_vars'));
    assert.equal(after, FIXTURE.replace('env_vars = [\n    "HOME", # forwarded\n    "NVM_DIR"\n]\n', ''));
  });

  test('top-level and [features] keys', () => {
    const root = ok(deleteKey(FIXTURE, [], 'experimental_use_rmcp_client'));
    assert.equal(root, FIXTURE.replace('experimental_use_rmcp_client = true # from an old guide\n', ''));
    const features = ok(deleteKey(FIXTURE, ['features'], 'rmcp_client'));
    assert.equal(features, FIXTURE.replace('rmcp_client = true # obsolete\n', ''));
  });

  test('the last line of a file without a final newline: the file still ends without one', () => {
    const text = '[mcp_servers.a]\nurl = "http://h/mcp"\ntype = "http"';
    assert.equal(ok(deleteKey(text, ['mcp_servers', 'a'], 'type')), '[mcp_servers.a]\nurl = "http://h/mcp"');
    assert.equal(ok(setKey(text, ['mcp_servers', 'a'], 'enabled', false)), `${text}\nenabled = false`);
  });

  test('a key that is not there: no change', () => {
    assert.deepEqual(deleteKey(FIXTURE, ['mcp_servers', 'github'], 'nope'), { ok: true, text: FIXTURE, changed: false });
  });
});

describe('renameKey', () => {
  test('renames the key only; the value and comment stay as written', () => {
    const after = ok(renameKey(FIXTURE, ['mcp_servers', 'github'], 'type', 'kind'));
    assert.equal(after, FIXTURE.replace('type = "http"   # copied', 'kind = "http"   # copied'));
  });

  test('renames a sub-table header', () => {
    const after = ok(renameKey(FIXTURE, ['mcp_servers', 'filesystem'], 'env', 'environment'));
    assert.equal(after, FIXTURE.replace('[mcp_servers.filesystem.env]', '[mcp_servers.filesystem.environment]'));
  });

  test('refuses to overwrite a key that exists', () => {
    const outcome = renameKey(FIXTURE, ['mcp_servers', 'github'], 'type', 'url');
    assert.equal(outcome.ok, false);
    assert.match((outcome as { reason: string }).reason, /already set/);
  });
});

describe('refusals, with a reason', () => {
  test('a server written as an inline table', () => {
    const outcome = setKey(FIXTURE, ['mcp_servers', 'inline'], 'startup_timeout_sec', 60);
    assert.equal(outcome.ok, false);
    assert.match((outcome as { reason: string }).reason, /`inline` at line 41 \(an inline table\)/);
  });

  test('all servers in an inline table', () => {
    const text = 'mcp_servers = { a = { url = "http://h/mcp" } }\n';
    const outcome = deleteKey(text, ['mcp_servers', 'a'], 'url');
    assert.equal(outcome.ok, false);
    assert.match((outcome as { reason: string }).reason, /inline table/);
  });

  test('all of a table as top-level dotted keys is editable', () => {
    const text = 'mcp_servers.a.url = "http://h/mcp" # a\nmcp_servers.a.type = "http"\n';
    const after = ok(editToml(text, { table: ['mcp_servers', 'a'], remove: ['type'], set: [['startup_timeout_sec', 60]] }));
    assert.equal(after, 'mcp_servers.a.url = "http://h/mcp" # a\nmcp_servers.a.startup_timeout_sec = 60\n');
  });

  test('setting a key written as a table section', () => {
    const outcome = setKey(FIXTURE, ['mcp_servers', 'filesystem'], 'env', { A: '1' });
    assert.equal(outcome.ok, false);
    assert.match((outcome as { reason: string }).reason, /written as a table/);
  });

  test('replacing a value that has comments inside it', () => {
    const outcome = setKey(FIXTURE, ['mcp_servers', 'filesystem'], 'args', ['server.js']);
    assert.equal(outcome.ok, false);
    assert.match((outcome as { reason: string }).reason, /comments inside/);
  });

  test('an array of tables', () => {
    const outcome = setKey('[[mcp_servers]]\nname = "a"\n', ['mcp_servers', 'a'], 'url', 'x');
    assert.equal(outcome.ok, false);
  });

  test('a file that does not parse', () => {
    const outcome = setKey('[mcp_servers.a\n', ['mcp_servers', 'a'], 'url', 'x');
    assert.equal(outcome.ok, false);
    assert.match((outcome as { reason: string }).reason, /does not parse/);
  });

  test('values TOML cannot hold', () => {
    assert.equal(setKey(FIXTURE, ['x'], 'y', Number.NaN).ok, false);
    assert.equal(setKey(FIXTURE, ['x'], 'y', null).ok, false);
    assert.equal(setKey(FIXTURE, ['x'], 'y', '\uD800').ok, false);
  });
});

describe('editToml', () => {
  test('remove + set of the same fix: `bearer_token` out, `bearer_token_env_var` in', () => {
    const text = '[mcp_servers.gh]\nurl = "https://h/mcp"\nbearer_token = "ghp_secret" # oops\n# end\n';
    const after = ok(editToml(text, { table: ['mcp_servers', 'gh'], remove: ['bearer_token'], set: [['bearer_token_env_var', 'GH_TOKEN']] }));
    assert.equal(after, '[mcp_servers.gh]\nurl = "https://h/mcp"\nbearer_token_env_var = "GH_TOKEN"\n# end\n');
  });

  test('a key both removed and set is replaced where it stands', () => {
    const after = ok(editToml(FIXTURE, { table: ['mcp_servers', 'github'], remove: ['type'], set: [['type', 'x']] }));
    assert.equal(after, FIXTURE.replace('type = "http"', 'type = "x"'));
  });
});


describe('property: random edits on the fixture', () => {
  const TABLES: string[][] = [
    [],
    ['mcp_servers', 'github'],
    ['mcp_servers', 'filesystem'],
    ['mcp_servers', 'docs.site'],
    ['mcp_servers', 'legacy'],
    ['mcp_servers', 'multi'],
    ['mcp_servers', 'filesystem', 'env'],
    ['profiles', 'fast'],
    ['features'],
    ['mcp_servers', 'fresh'],
    ['brand', 'new table'],
  ];
  const KEYS = ['startup_timeout_sec', 'url', 'type', 'note', 'odd key', 'a.b', 'ключ', 'enabled_tools', 'x-y_z'];
  const STRINGS = ['', 'plain', 'with "quotes"', "it's", 'back\\slash', 'line\nbreak', 'tab\there', 'del\u007f', '🦀 émoji', '# not a comment', '[not a table]'];

  function randomValue(rand: () => number, depth = 0): unknown {
    const pick = Math.floor(rand() * (depth > 1 ? 4 : 6));
    switch (pick) {
      case 0:
        return STRINGS[Math.floor(rand() * STRINGS.length)]!;
      case 1:
        return Math.floor(rand() * 2000) - 1000;
      case 2:
        return Math.round(rand() * 1e4) / 100;
      case 3:
        return rand() < 0.5;
      case 4:
        return Array.from({ length: Math.floor(rand() * 4) }, () => randomValue(rand, depth + 1));
      default:
        return { k: randomValue(rand, depth + 1), 'needs quote': randomValue(rand, depth + 1) };
    }
  }

  function modelTable(doc: any, path: string[], create: boolean): any {
    let t = doc;
    for (const s of path) {
      if (!(s in t)) {
        if (!create) return undefined;
        t[s] = {};
      }
      t = t[s];
    }
    return t;
  }

  for (const [label, base] of [
    ['LF', FIXTURE],
    ['CRLF', CRLF_FIXTURE],
  ] as const) {
    test(`${label}: 300 random set/delete sequences re-parse to the expected document, keep every comment, round-trip`, () => {
      for (let seed = 1; seed <= 300; seed++) {
        const rand = prng(seed * 7919);
        let text = base;
        const expected: any = parsed(base);
        const steps: string[] = [];
        const deletedComments: string[] = [];
        for (let step = 0; step < 4; step++) {
          const table = TABLES[Math.floor(rand() * TABLES.length)]!;
          const key = KEYS[Math.floor(rand() * KEYS.length)]!;
          const existing = modelTable(expected, table, false);
          const current = existing?.[key];
          // Keys written as tables or holding commented values are refused by design: skip them here.
          if (current !== undefined && (typeof current === 'object' || Array.isArray(current))) continue;
          if (rand() < 0.7) {
            const value = randomValue(rand);
            steps.push(`set [${table.join('.')}] ${key} = ${formatValue(value)}`);
            const outcome = setKey(text, table, key, value);
            assert.ok(outcome.ok, `seed ${seed}: ${steps.join(' ; ')}: ${!outcome.ok && outcome.reason}`);
            text = outcome.text;
            modelTable(expected, table, true)[key] = plain(value);
          } else {
            steps.push(`delete [${table.join('.')}] ${key}`);
            const outcome = deleteKey(text, table, key);
            assert.ok(outcome.ok, `seed ${seed}: ${steps.join(' ; ')}: ${!outcome.ok && outcome.reason}`);
            const { added, removed } = lineChanges(text, outcome.text);
            assert.equal(added.length, 0, `seed ${seed}: a deletion only removes lines`);
            assert.ok(current === undefined || removed.length > 0, `seed ${seed}: the key's line is gone`);
            deletedComments.push(...removed.flatMap(comments));
            text = outcome.text;
            if (existing) delete existing[key];
          }
          assert.deepEqual(parsed(text), expected, `seed ${seed}: ${steps.join(' ; ')}`);
        }
        assertAllCommentsKept(base, text, deletedComments);
        if (label === 'CRLF') assert.equal(/(?<!\r)\n/.test(text), false, `seed ${seed}: bare LF`);
      }
    });

    test(`${label}: setting a new key and deleting it again restores the file byte for byte`, () => {
      for (let seed = 1; seed <= 200; seed++) {
        const rand = prng(seed);
        const table = TABLES.slice(1, 9)[Math.floor(rand() * 8)]!;
        const key = `fresh_${Math.floor(rand() * 1e6)}`;
        const withKey = setKey(base, table, key, randomValue(rand));
        assert.ok(withKey.ok, `seed ${seed}`);
        assert.equal(lineChanges(base, withKey.text).removed.length, 0, `seed ${seed}: only additions`);
        const back = deleteKey(withKey.text, table, key);
        assert.ok(back.ok);
        assert.equal(back.text, base, `seed ${seed}: [${table.join('.')}] ${key}`);
      }
    });

    test(`${label}: replacing a scalar and setting it back restores the file byte for byte`, () => {
      const scalars: Array<[string[], string]> = [
        [['mcp_servers', 'github'], 'url'],
        [['mcp_servers', 'github'], 'type'],
        [['mcp_servers', 'filesystem'], 'command'],
        [['mcp_servers', 'filesystem'], 'startup_timeout_sec'],
        [['mcp_servers', 'legacy'], 'url'],
        [['mcp_servers', 'legacy'], 'enabled'],
        [['mcp_servers', 'multi'], 'tool_timeout_sec'],
        [[], 'model'],
        [['features'], 'rmcp_client'],
      ];
      for (let seed = 1; seed <= 100; seed++) {
        const rand = prng(seed + 1000);
        const [table, key] = scalars[Math.floor(rand() * scalars.length)]!;
        const original = modelTable(parsed(base), table, false)[key];
        // Another value of the same type: a string stays in the quoting style it was written in.
        const other =
          typeof original === 'string' ? `v${Math.floor(rand() * 1e6)}` : typeof original === 'boolean' ? !original : Math.round(rand() * 1e4) / 10;
        const changed = setKey(base, table, key, other);
        assert.ok(changed.ok && changed.changed, `seed ${seed}`);
        const back = setKey(changed.text, table, key, original);
        assert.ok(back.ok);
        assert.equal(back.text, base, `seed ${seed}: [${table.join('.')}] ${key}`);
      }
    });
  }
});
