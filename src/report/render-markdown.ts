// PLACEHOLDER: replaced by the output work.
import type { Report } from '../types.ts';

export interface MarkdownEnvironment {
  os: string;
  node: string;
  codexVersion?: string;
}

export function renderMarkdown(report: Report, _env: MarkdownEnvironment): string {
  return `# mcp-doctor report\n\n\`\`\`json\n${JSON.stringify(report.summary)}\n\`\`\`\n`;
}
