/**
 * Network faults for tests: drop a request before the server sees it, or drop the answer after the
 * server committed it. Only present when the server is started with `testHooks: true`; the
 * uploader's exactly-once property test is built on it.
 */
export type HookAction = 'pass' | 'drop-request' | 'drop-response';

export interface HookRequest {
  method: string;
  path: string;
  /** 1-based count of requests the hooks have seen. */
  index: number;
}

export interface TestHooksControl {
  /** Decide each non-admin request's fate; overrides the counters below while set. */
  setPlan(plan: ((req: HookRequest) => HookAction) | undefined): void;
  /** Drop the next n requests (never processed) / responses (processed and committed, never answered) to paths starting with `pathPrefix`. */
  dropNext(kind: 'request' | 'response', n: number, pathPrefix?: string): void;
  stats(): { requests: number; droppedRequests: number; droppedResponses: number };
}

export interface HookControl extends TestHooksControl {
  decide(method: string, path: string): HookAction;
}

export function createHooks(): HookControl {
  let plan: ((req: HookRequest) => HookAction) | undefined;
  const pending: Array<{ kind: 'request' | 'response'; left: number; prefix: string }> = [];
  const stats = { requests: 0, droppedRequests: 0, droppedResponses: 0 };
  return {
    setPlan: (p) => {
      plan = p;
    },
    dropNext: (kind, n, prefix = '/') => {
      pending.push({ kind, left: n, prefix });
    },
    stats: () => ({ ...stats }),
    decide(method, p) {
      stats.requests++;
      let action: HookAction = 'pass';
      if (plan) action = plan({ method, path: p, index: stats.requests });
      else {
        const rule = pending.find((r) => r.left > 0 && p.startsWith(r.prefix));
        if (rule) {
          rule.left--;
          action = rule.kind === 'request' ? 'drop-request' : 'drop-response';
        }
      }
      if (action === 'drop-request') stats.droppedRequests++;
      if (action === 'drop-response') stats.droppedResponses++;
      return action;
    },
  };
}
