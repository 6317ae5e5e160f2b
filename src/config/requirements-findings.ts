import { makeFinding } from '../findings/make-finding.ts';
import type { Redactor } from '../redact.ts';
import { disallowedReason, type McpPolicy } from './requirements.ts';
import type { ServerEntry } from './server-config.ts';

/**
 * requirements.toml disables the servers its allow-list does not admit: Codex sets
 * `enabled = false` and does not start them (`disabled: requirements (<file>)` in `codex mcp
 * list`). mcp-doctor does the same: the server is skipped, with the reason as a warning, since
 * the user configured it to run and cannot change the policy from their own config.
 */
export function applyRequirements(entry: ServerEntry, policy: McpPolicy, redact: Redactor): void {
  const { config } = entry;
  // Codex refuses a config with an invalid table before any policy applies.
  if (!config.enabled || config.transport === 'unknown' || entry.findings.some((f) => f.severity === 'error')) return;
  const reason = disallowedReason(policy, config.name, { transport: config.transport, command: config.command, args: config.args, url: config.url });
  if (reason === undefined) return;
  config.enabled = false;
  config.disabledReason = `disabled by requirements (${policy.file})`;
  const requirement = policy.servers.get(config.name);
  entry.findings.push(
    makeFinding('config.disabled-by-requirements', {
      message: redact.text(`Codex does not start \`${config.name}\`: ${reason}. Codex lists it as "disabled: requirements (${policy.file})".`),
      evidence: redact.value({ file: policy.file, listed: requirement !== undefined, ...(requirement ? { requirement } : { allowed: [...policy.servers.keys()] }) }),
      fix: {
        summary: redact.text(
          requirement?.kind === 'command'
            ? `Configure \`${config.name}\` with command = ${JSON.stringify(requirement.command)} as the allow-list requires, or ask the administrator of ${policy.file} to allow this one.`
            : requirement?.kind === 'url'
              ? `Configure \`${config.name}\` with url = "${requirement.url}" as the allow-list requires, or ask the administrator of ${policy.file} to allow this one.`
              : `Ask the administrator of ${policy.file} to allow \`${config.name}\` (an [mcp_servers.${config.name}.identity] entry matching its command or url), or use a server the allow-list names.`,
        ),
      },
    }),
  );
}
