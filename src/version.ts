declare const __MCP_DOCTOR_VERSION__: string | undefined;

/** Injected by the bundler; falls back for tests that import the sources directly. */
export const VERSION: string = typeof __MCP_DOCTOR_VERSION__ === 'string' ? __MCP_DOCTOR_VERSION__ : '0.0.0-dev';
