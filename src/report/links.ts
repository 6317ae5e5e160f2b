/**
 * Where the project lives. Reports link here; change these once the repository has its final home.
 */
export const REPO_URL = 'https://github.com/mcp-doctor/mcp-doctor';
export const ISSUES_URL = `${REPO_URL}/issues/new`;
export const DOCS_CODES_BASE_URL = `${REPO_URL}/blob/main/docs/codes`;

export function codeDocUrl(code: string): string {
  return `${DOCS_CODES_BASE_URL}/${encodeURIComponent(code)}.md`;
}
