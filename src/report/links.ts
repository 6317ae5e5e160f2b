/**
 * Where the project lives, taken from package.json (`repository`, `bugs`) so that a report never
 * sends a user to an address that does not exist: with no `repository` there is no link, and with
 * no `bugs` (and no GitHub repository to derive it from) the crash banner names no address. The
 * build bakes the values in (scripts/build.mjs); run from source (tests), package.json is read.
 */
import { readFileSync } from 'node:fs';

declare const __MCP_DOCTOR_PACKAGE_LINKS__: { repository?: unknown; bugs?: unknown } | undefined;

export interface ProjectLinks {
  /** The repository's web address, e.g. https://github.com/o/r. */
  repo?: string;
  /** Where to report a bug. */
  issues?: string;
}

/** The links of a package.json's `repository` and `bugs` fields (string or `{ url }` forms). */
export function linksFromPackage(pkg: { repository?: unknown; bugs?: unknown }): ProjectLinks {
  const urlOf = (field: unknown): string | undefined => {
    const raw = typeof field === 'string' ? field : field && typeof field === 'object' ? (field as { url?: unknown }).url : undefined;
    return typeof raw === 'string' && raw.trim() ? raw.trim() : undefined;
  };
  let repo = urlOf(pkg.repository);
  if (repo) {
    repo = repo.replace(/^git\+/, '').replace(/\.git$/, '').replace(/^git:\/\//, 'https://').replace(/^github:/, 'https://github.com/');
    if (/^[\w.-]+\/[\w.-]+$/.test(repo)) repo = `https://github.com/${repo}`; // npm's "owner/name" shorthand
    if (!/^https?:\/\//.test(repo)) repo = undefined;
  }
  const bugs = urlOf(pkg.bugs);
  const issues = bugs ?? (repo && /^https:\/\/github\.com\/[^/]+\/[^/]+$/.test(repo) ? `${repo}/issues` : undefined);
  return { ...(repo ? { repo } : {}), ...(issues ? { issues } : {}) };
}

function packageFields(): { repository?: unknown; bugs?: unknown } {
  if (typeof __MCP_DOCTOR_PACKAGE_LINKS__ === 'object' && __MCP_DOCTOR_PACKAGE_LINKS__) return __MCP_DOCTOR_PACKAGE_LINKS__;
  try {
    return JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  } catch {
    return {};
  }
}

const links = linksFromPackage(packageFields());
export const REPO_URL: string | undefined = links.repo;
export const ISSUES_URL: string | undefined = links.issues;
export const DOCS_CODES_BASE_URL: string | undefined = REPO_URL ? `${REPO_URL}/blob/main/docs/codes` : undefined;

/** The web page of a finding code's documentation, when the project has a repository. */
export function codeDocUrl(code: string): string | undefined {
  return DOCS_CODES_BASE_URL ? `${DOCS_CODES_BASE_URL}/${encodeURIComponent(code)}.md` : undefined;
}

/** "Please report it at URL" or, with no address to give, "Please report it". */
export function reportItAt(): string {
  return ISSUES_URL ? `Please report it at ${ISSUES_URL}` : 'Please report it to the mcp-doctor maintainers';
}
