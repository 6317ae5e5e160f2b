import { makeFinding } from '../findings/make-finding.ts';
import type { Redactor } from '../redact.ts';
import type { Finding, ServerInfo } from '../types.ts';
import { VERSION } from '../version.ts';
import { codexReadsAsObject, initializeShapeProblems, shapeFinding } from './codex-shape.ts';
import { withSourceForms } from '../transports/codex-wire.ts';

/** What Codex sends (`ProtocolVersion::V_2025_06_18`, codex-mcp/src/rmcp_client.rs). */
export const CODEX_PROTOCOL_VERSION = '2025-06-18';

/** Dated revisions the official SDK client accepts (`SUPPORTED_PROTOCOL_VERSIONS`). */
export const KNOWN_PROTOCOL_VERSIONS = ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05', '2024-10-07'];

/**
 * The `initialize` params Codex sends, with mcp-doctor's own client name. The capabilities are
 * what Codex 0.169.0 sent to a logging stdio server; servers register tools by them
 * (server-everything lists `trigger-url-elicitation` only for `elicitation.url`).
 */
export function initializeParams(): Record<string, unknown> {
  return {
    protocolVersion: CODEX_PROTOCOL_VERSION,
    capabilities: { elicitation: { form: {}, url: {} } },
    clientInfo: { name: 'mcp-doctor', version: VERSION, title: 'mcp-doctor' },
  };
}

export interface InitializeVerdict {
  findings: Finding[];
  /** The handshake may go on (`notifications/initialized`, `tools/list`). */
  proceed: boolean;
  server: Partial<ServerInfo>;
  /** The JSON-RPC error, when the answer was one (for callers that look deeper, e.g. env probes). */
  error?: { code: unknown; message: string; data?: unknown };
  /** One line for the stage summary. */
  summary: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

function sample(value: unknown, redact: Redactor, max = 600): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  text = redact.text(text);
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

function rejectsVersion(error: { code: unknown; message: string; data?: unknown }): boolean {
  if (isObject(error.data) && Array.isArray(error.data.supported)) return true;
  return /protocol.?version|unsupported.?version/i.test(error.message) && (error.code === -32602 || error.code === -32022);
}

/**
 * Grades the answer to `initialize`, the same way for every transport: a JSON-RPC error (a
 * rejected protocol version is its own code), a result that is not an InitializeResult, or a
 * protocol version no client knows (Codex proceeds: a warning).
 */
export function classifyInitializeResponse(response: unknown, serverName: string, redact: Redactor): InitializeVerdict {
  if (!isObject(response) || response.jsonrpc !== '2.0' || ('result' in response) === ('error' in response)) {
    return {
      proceed: false,
      server: {},
      summary: 'the answer to initialize is not a JSON-RPC response',
      findings: [
        makeFinding('init.protocol-error', {
          message: `"${serverName}" answered initialize with something that is not a JSON-RPC response (it needs "jsonrpc": "2.0" and exactly one of "result" or "error").`,
          evidence: { response: sample(response, redact) },
          fix: { summary: 'A server-side bug: report it to the server\'s maintainers with the transcript (`--verbose`).' },
        }),
      ],
    };
  }

  if ('error' in response) {
    const raw = isObject(response.error) ? response.error : {};
    const error = { code: raw.code, message: typeof raw.message === 'string' ? raw.message : String(raw.message ?? ''), data: raw.data };
    const evidence: Record<string, unknown> = { code: error.code, message: redact.text(error.message) };
    if (error.data !== undefined) evidence.data = redact.value(error.data);
    if (rejectsVersion(error)) {
      const supported = isObject(error.data) && Array.isArray(error.data.supported) ? error.data.supported.map(String) : [];
      return {
        proceed: false,
        server: {},
        error,
        summary: `rejected protocol version ${CODEX_PROTOCOL_VERSION}`,
        findings: [
          makeFinding('init.version-unsupported', {
            message: `"${serverName}" rejects protocol version ${CODEX_PROTOCOL_VERSION}, the one Codex sends${
              supported.length ? `; it supports only ${supported.join(', ')}` : ' (it does not say which versions it supports)'
            }. A server must answer with a version it supports instead of an error.`,
            evidence: { ...evidence, requested: CODEX_PROTOCOL_VERSION, supported },
            fix: { summary: 'Upgrade the server (or the MCP SDK it is built on) to a release that negotiates the protocol version.' },
          }),
        ],
      };
    }
    return {
      proceed: false,
      server: {},
      error,
      summary: `initialize answered with JSON-RPC error ${String(error.code)}`,
      findings: [
        makeFinding('init.jsonrpc-error', {
          message: `"${serverName}" answered initialize with JSON-RPC error ${String(error.code)}: ${redact.text(error.message)}`,
          evidence,
          fix: { summary: 'Read the error message: it often names a missing key, setting or service the server needs at start-up.' },
        }),
      ],
    };
  }

  const result = response.result;
  const missing: string[] = [];
  if (!isObject(result)) missing.push('result (not an object)');
  else {
    if (typeof result.protocolVersion !== 'string') missing.push('protocolVersion');
    if (!codexReadsAsObject(withSourceForms(result).capabilities)) missing.push('capabilities');
    if (!isObject(result.serverInfo)) missing.push('serverInfo');
    else {
      if (typeof result.serverInfo.name !== 'string') missing.push('serverInfo.name');
      if (typeof result.serverInfo.version !== 'string') missing.push('serverInfo.version');
    }
  }
  const server: Partial<ServerInfo> = {};
  if (isObject(result)) {
    if (typeof result.protocolVersion === 'string') server.protocolVersion = result.protocolVersion;
    if (isObject(result.serverInfo)) {
      if (typeof result.serverInfo.name === 'string') server.name = redact.text(result.serverInfo.name);
      if (typeof result.serverInfo.version === 'string') server.version = redact.text(result.serverInfo.version);
    }
  }
  if (missing.length > 0) {
    return {
      proceed: false,
      server,
      summary: `invalid InitializeResult (missing ${missing.join(', ')})`,
      findings: [
        makeFinding('init.protocol-error', {
          message: `"${serverName}" answered initialize without ${missing.join(', ')}; an InitializeResult needs protocolVersion, capabilities and serverInfo {name, version}.`,
          evidence: { missing, result: sample(result, redact) },
          fix: { summary: 'A server-side bug: report it to the server\'s maintainers with the transcript (`--verbose`).' },
        }),
      ],
    };
  }

  // Judged on the literals as written: `1.0` is what Codex reads as an object, not the integer 1.
  const refused = shapeFinding(initializeShapeProblems(withSourceForms(result as Record<string, unknown>)), 'initialize', serverName, redact, 'initialize');
  if (refused) return { proceed: false, server, summary: 'an InitializeResult Codex cannot read (field types)', findings: [refused] };

  const findings: Finding[] = [];
  const version = server.protocolVersion!;
  if (!KNOWN_PROTOCOL_VERSIONS.includes(version)) {
    findings.push(
      makeFinding('init.version-unsupported', {
        severity: 'warning',
        message: `"${serverName}" answered with protocol version "${redact.text(version)}", which is not a known MCP revision. Codex proceeds anyway, but spec-following clients (the official SDKs) disconnect.`,
        evidence: { requested: CODEX_PROTOCOL_VERSION, answered: redact.text(version), known: KNOWN_PROTOCOL_VERSIONS },
        fix: { summary: `Upgrade the server so that it answers with the version it was asked for (${CODEX_PROTOCOL_VERSION}) or another published revision.` },
      }),
    );
  }
  const who = [server.name, server.version].filter(Boolean).join(' ');
  return { proceed: true, server, findings, summary: `${who || 'server'} (protocol ${redact.text(version)})` };
}
