// PLACEHOLDER: replaced by the Streamable HTTP work.
import type { PlanFactory } from '../pipeline/run-server.ts';

export const createHttpPlan: PlanFactory = () => ({
  stages: {
    discovery: async () => ({ summary: 'not implemented', skipped: true }),
    auth: async () => ({ summary: 'not implemented', skipped: true }),
    initialize: async () => ({ summary: 'not implemented', skipped: true }),
    tools: async () => ({ summary: 'not implemented', skipped: true }),
  },
  cleanup: async () => {},
});
