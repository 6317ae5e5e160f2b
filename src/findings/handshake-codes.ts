import { CODEX } from '../codex/codex-version.ts';
import type { FindingSpec } from './finding-spec.ts';

/** Finding codes: initialize, tools/list and what the model is sent, the startup deadline, Codex's own verdict and mcp-doctor's crashes. Part of the one registry (registry.ts). */
export const HANDSHAKE_CODES = {
  // ── initialize and session ──────────────────────────────────────────────────────────────────
  'init.protocol-error': {
    title: 'Invalid answer to `initialize`',
    severity: 'error',
    stage: 'initialize',
    explanation: 'The answer to `initialize` is not a valid JSON-RPC response carrying an InitializeResult (`protocolVersion`, `capabilities`, `serverInfo`).',
    detection: 'The answer is parsed and its shape checked.',
    fix: 'A server-side fix; report it to the server\'s maintainers with the transcript (`--verbose`).',
    codexSays: ['expect initialized result, but received: …'],
  },
  'init.jsonrpc-error': {
    title: '`initialize` answered with an error',
    severity: 'error',
    stage: 'initialize',
    explanation: 'The server answered `initialize` with a JSON-RPC error.',
    detection: 'The response carries `error` instead of `result`; code and message are evidence.',
    fix: 'Read the error message; it often names a missing key or setting.',
    codexSays: ['handshaking with MCP server failed: JSON-RPC error: …'],
  },
  'init.version-unsupported': {
    title: 'Protocol version not agreed',
    severity: 'error',
    severityNote:
      'error when the server rejects Codex\'s protocol version (a JSON-RPC error to `initialize`); warning when it answers with a version the client does not know (Codex proceeds; spec-following clients disconnect).',
    stage: 'initialize',
    explanation: 'Codex sends `protocolVersion: "2025-06-18"`. A server must answer with that version or another it supports; the client disconnects if it does not know the answer.',
    detection: 'The error to `initialize`, or the version in the result, is compared with the known revisions.',
    fix: 'Upgrade the server (or its MCP SDK) so that it negotiates instead of rejecting.',
    codexSays: ['handshaking with MCP server failed: JSON-RPC error: -32602: Unsupported protocol version'],
    refs: ['https://github.com/openai/codex/issues/36296'],
  },
  'init.initialized-rejected': {
    title: '`notifications/initialized` not accepted',
    severity: 'error',
    severityNote:
      `warning when ${CODEX} carries on anyway (measured): an empty \`204 No Content\`, or a JSON-RPC error body with 200 or a 4xx other than 404; error for anything else (a JSON result, an empty 400, 404, 5xx…), where Codex fails the start.`,
    stage: 'initialize',
    explanation: 'Over Streamable HTTP a notification must be answered `202 Accepted` with no body. Codex fails the start when the server answers with most other things; it ignores a JSON-RPC error message and an empty 204.',
    detection: 'The status and body of the `notifications/initialized` POST.',
    fix: 'A server-side fix (answer 202); until then bridge it with `mcp-remote`.',
    codexSays: ['Transport channel closed, when send initialized notification'],
    refs: ['https://github.com/openai/codex/issues/5044', 'https://github.com/openai/codex/issues/21535'],
  },
  'timeout.startup': {
    title: 'Startup took longer than `startup_timeout_sec`',
    severity: 'error',
    stage: 'initialize',
    explanation: `Codex allows \`startup_timeout_sec\` (10 s by default) for the \`initialize\` handshake, and as much again for \`tools/list\` (${CODEX}, measured: initialize 3 s and tools/list 3 s connect with 5 s; tools/list alone taking 6 s fails, "timed out awaiting tools/list after 5s"). First runs of \`npx\`/\`uvx\`/\`docker\` download packages and often exceed it.`,
    detection: 'The stage deadline expired; where the server answers later, the time it really took is measured.',
    fix: 'Raise `startup_timeout_sec` to the measured value, or pre-install the package and point `command` at it.',
    codexSays: ['MCP client for `NAME` timed out after 30 seconds. Add or adjust `startup_timeout_sec` in your config.toml'],
    refs: ['https://github.com/openai/codex/issues/11851', 'https://github.com/openai/codex/pull/16080'],
  },
  // ── tools ───────────────────────────────────────────────────────────────────────────────────
  'tools.list-failed': {
    title: '`tools/list` failed',
    severity: 'error',
    stage: 'tools',
    explanation: 'The server finished the handshake but `tools/list` returned an error or an invalid result, or an answer nested deeper than Codex\'s JSON parser reads (a tool nested 125 levels or more, measured with 0.171), so Codex fails to start it (measured with 0.169: the server does not start with an empty tool list).',
    detection: '`tools/list` is called (following `nextCursor`) and the result validated, including its nesting depth (docs/model-view.md).',
    fix: 'A server-side fix; the error is in the evidence.',
    codexSays: [
      'MCP startup failed: Mcp error: -32601: Method not found',
      'MCP startup failed: Unexpected response type',
      'MCP startup failed: tools/list returned a repeated pagination cursor',
      'MCP startup failed: Transport send error: … Deserialize error: recursion limit exceeded',
    ],
  },
  'tools.invalid-name': {
    title: 'Tool name Codex rewrites',
    severity: 'warning',
    stage: 'tools',
    explanation: 'Tool names must match `^[a-zA-Z0-9_-]+$` and be at most 64 characters for the model API. Codex renames others (`search.docs` → `search_docs`, with a hash suffix when names then collide), so the model sees names that differ from the server\'s docs; older Codex versions fail.',
    detection: 'Each tool name is checked as Codex exposes it.',
    fix: 'A server-side fix (rename the tools); meanwhile `disabled_tools` can drop them.',
    codexSays: ["Invalid 'tools[N].name': string does not match pattern"],
    refs: ['https://github.com/openai/codex/issues/8174'],
  },
  'tools.invalid-schema': {
    title: 'Tool input schema invalid',
    severity: 'error',
    stage: 'tools',
    explanation: 'Every tool needs an `inputSchema` whose root is `type: "object"`.',
    detection: 'Each tool\'s `inputSchema` is checked.',
    fix: 'A server-side fix; meanwhile `disabled_tools` can drop the tool.',
  },
  'tools.unknown-filter': {
    title: 'Tool filter names a tool that does not exist',
    severity: 'warning',
    stage: 'tools',
    explanation: '`enabled_tools` / `disabled_tools` match exact raw tool names (no wildcards). A name the server does not have has no effect — and an `enabled_tools` list with only unknown names leaves no tools at all.',
    detection: 'The filter names are compared with the tools the server lists.',
    fix: 'Use the exact names the server lists.',
  },
  'tools.none': {
    title: 'Server offers no tools',
    severity: 'info',
    stage: 'tools',
    explanation: 'The server answered `tools/list` with no tools (or the filters removed them all).',
    detection: 'The tool count after `enabled_tools` / `disabled_tools`.',
    fix: 'Check the server\'s own configuration, and the filters.',
  },
  'tools.model-rejects': {
    title: 'Codex sends a tool the model API documents it refuses',
    severity: 'warning',
    stage: 'tools',
    explanation:
      `Codex starts the server and lists the tool, and sends it to the model as a function in the \`mcp__<server>\` namespace: the name after its own renaming, the \`inputSchema\` after its own rewriting (measured with ${CODEX}, see docs/model-view.md). The OpenAI API documents that a function's \`parameters\` is a JSON Schema object and that a function name is at most 64 characters of \`[a-zA-Z0-9_-]\`; Codex sends a root \`"type": "string"\` (or any other non-object root) as it is, and keeps names up to 128 characters with the namespace. Where the API enforces its documented rule, every request that carries the tool fails.`,
    detection: 'The `parameters` and name Codex sends are predicted from the tool list (docs/model-view.md) and checked against the documented rules.',
    fix: 'A server-side fix (an object root schema, shorter names); meanwhile `disabled_tools` hides the tool from Codex.',
    refs: ['https://platform.openai.com/docs/api-reference/responses/create#responses-create-tools', 'https://platform.openai.com/docs/guides/function-calling'],
  },
  'tools.codex-drops': {
    title: 'Codex leaves a tool out of what the model sees',
    severity: 'warning',
    stage: 'tools',
    explanation:
      'Codex starts the server, but cannot turn some of its tools into a model tool and skips them (its log says "Skipping MCP tool …: failed to build tool spec"): a root schema of the single type `null`, `properties` that is not a map, `required` that is not a list, a property schema that is neither an object nor a boolean. Of several tools with the same name Codex keeps the first. The model never sees the skipped tools; the rest of the server works.',
    detection: `The tool list is read as ${CODEX} reads it (docs/model-view.md).`,
    fix: 'A server-side fix: unique tool names and input schemas Codex can read.',
  },
  'tools.catalog-limit': {
    title: 'More tools than Codex accepts',
    severity: 'error',
    stage: 'tools',
    explanation:
      `${CODEX} accepts at most 2048 tools from one server (all pages together, codex-mcp \`MAX_MCP_CATALOG_ITEMS\`) and fails the whole server past that, instead of keeping the first 2048.`,
    detection: 'The tools of all `tools/list` pages are counted.',
    fix: 'Offer fewer tools from the server (split it into several servers, or let it expose a subset by configuration). `enabled_tools` is not expected to help: the limit applies while Codex collects the listing (codex-mcp pagination), before its tool filters (read in the source, not measured).',
    codexSays: ['tools/list exceeded the catalog limit of 2048 items'],
  },
  'codex.disagrees': {
    title: 'Codex itself disagrees with mcp-doctor',
    severity: 'error',
    severityNote:
      'error when Codex cannot start a server (or refuses the whole config) that mcp-doctor found usable: Codex is the judge, and mcp-doctor missed the cause; warning when Codex starts a server that mcp-doctor reports as failing: the errors may not apply to this Codex version.',
    stage: 'initialize',
    explanation:
      'With `check --codex`, the installed Codex starts the same servers through `codex app-server` (`mcpServerStatus/list`), the way a Codex session does, and its verdict is shown beside mcp-doctor\'s. This finding marks a server where the two differ: mcp-doctor said ok or warn but Codex could not start it, or mcp-doctor said fail but Codex connected. Either way one of the two verdicts is wrong for your setup, and it is usually mcp-doctor\'s.',
    detection: 'Codex\'s `connected` is compared with mcp-doctor\'s server status (`fail` against not connected). A server whose token in `.credentials.json` would first need a refresh is not compared: Codex works on a copy without refresh tokens (a refresh can replace your refresh token, and the copy is deleted).',
    fix: 'Trust Codex\'s error text, which the report quotes. Please report the difference with the output of `mcp-doctor check --codex --format markdown --verbose`: every disagreement is a bug in mcp-doctor or a change in Codex.',
  },
  'internal.stage-crashed': {
    title: 'mcp-doctor crashed in a stage',
    severity: 'error',
    stage: 'file',
    explanation: 'mcp-doctor itself threw an exception while checking this server. This is a bug in mcp-doctor, not in your setup.',
    detection: 'A stage threw.',
    fix: 'Please report it with the output of `mcp-doctor check --format markdown --verbose`.',
  },
} as const satisfies Record<string, FindingSpec>;
