/**
 * Documented disagreements of the differential fuzzer (test/fuzz/codex-fuzz.test.ts): mutation
 * families (or catalogue case names) where mcp-doctor's verdict may differ from Codex's, and why.
 * Every other disagreement fails the fuzzer. docs/codex-behaviour.md lists these.
 */
export interface FuzzException {
  /** A catalogue case name (`cat_…`) or a predicate over a case's description. */
  match: (c: { name: string; what: string; family: string }) => boolean;
  why: string;
}

export const FUZZ_EXCEPTIONS: FuzzException[] = [
  {
    match: (c) => /inputSchema(\.type)? (=|nested) /.test(c.what),
    why: 'A tool whose `inputSchema` is not an object schema (its `type` is not "object", or the schema is a fractional number, which Codex reads as an object): Codex starts the server, but the model API refuses the tool, so every turn fails; mcp-doctor reports `tools.invalid-schema` as an error (a deliberate verdict, see that code).',
  },

];
