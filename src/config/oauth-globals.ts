/**
 * The top-level OAuth settings of a Codex config (not part of a server table): the credential
 * store, the callback port and URL. The auth stage needs them to read the store Codex reads and
 * to name the redirect URI Codex sends. Invalid values are left out: the config checks report them.
 */
export interface CodexOAuthGlobals {
  credentialsStore?: 'auto' | 'file' | 'keyring';
  callbackPort?: number;
  callbackUrl?: string;
}

export function codexOAuthGlobals(document: Record<string, unknown> | undefined): CodexOAuthGlobals {
  const doc = document ?? {};
  const store = doc.mcp_oauth_credentials_store;
  const port = doc.mcp_oauth_callback_port;
  const url = doc.mcp_oauth_callback_url;
  return {
    ...(store === 'auto' || store === 'file' || store === 'keyring' ? { credentialsStore: store } : {}),
    ...(typeof port === 'number' && Number.isInteger(port) && port > 0 && port < 65536 ? { callbackPort: port } : {}),
    ...(typeof url === 'string' && url !== '' ? { callbackUrl: url } : {}),
  };
}
