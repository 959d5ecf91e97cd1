/**
 * The workflow preflight audit: reads the text of the workflow that runs claude-guard and reports the
 * known mistakes around it — the seed article's (a key in job-wide env, installs after the agent,
 * `--dangerously-skip-permissions`) and GitHub's own (script injection, pull_request_target checking
 * out the PR head, unpinned actions, broad or missing token permissions, persisted checkout
 * credentials, `secrets: inherit`, every secret handed over at once). Pure: text and options in,
 * findings out; it never throws (malformed YAML is one `workflow-unreadable` finding).
 *
 * It is advisory, not a security boundary: the file audited is the copy in the workspace, which a pull
 * request can edit. It defends threat-model rows S1/S2 (secrets in job-wide env reach every step and
 * the action's start-up environment), S4 (persisted checkout credentials), S5 (id-token: write), S6
 * (actions: write, poisoned dependencies), X4 (installs after the agent run code it may have changed)
 * and X7 (flags that switch off the permission rules).
 *
 * Severities: `error` = a secret or the agent's guardrail is exposed as written; `warning` = a known
 * mistake that widens what an injected agent or a compromised step can reach; `notice` = worth knowing,
 * low risk on its own. Scope: permissions, persist-credentials and install-after-agent look only at
 * the jobs that run claude-guard (a step whose `uses:` matches, or the job GITHUB_JOB names); the other
 * rules look at the whole workflow, since a pwn request or a leaked secret anywhere in it reaches the
 * same repository and caches. Findings inside a YAML alias point at the line of the alias (where the
 * anchored content is used), since GitHub expands it there.
 *
 * Layout: workflow-audit/tree.ts (located YAML), shape.ts (jobs and steps), rules/*.ts (one file per
 * rule group), render.ts (the job-summary table); this file runs the rules.
 */
import { LineCounter, parseDocument } from 'yaml';
import { agentNotFound, dangerouslySkip, installAfterAgent } from './workflow-audit/rules/agent-step.js';
import { checkoutHead, persistCredentials } from './workflow-audit/rules/checkout.js';
import { scriptInjection } from './workflow-audit/rules/injection.js';
import { permissions } from './workflow-audit/rules/permissions.js';
import { unpinned } from './workflow-audit/rules/pinning.js';
import { overprovisionedSecrets, secretInEnv, secretsInherit } from './workflow-audit/rules/secrets.js';
import { untrustedTrigger } from './workflow-audit/rules/triggers.js';
import { readWorkflowShape, type Finder } from './workflow-audit/shape.js';
import { asMap, buildTree, Unreadable } from './workflow-audit/tree.js';
import { byPosition, type AuditFinding, type AuditOptions } from './workflow-audit/types.js';

export { renderAuditMarkdown } from './workflow-audit/render.js';
export {
  AUDIT_RULE_IDS,
  type AuditFinding,
  type AuditMode,
  type AuditOptions,
  type AuditRuleId,
  type AuditSeverity,
} from './workflow-audit/types.js';

const RULES: Finder[] = [
  agentNotFound,
  secretInEnv,
  installAfterAgent,
  permissions,
  checkoutHead,
  persistCredentials,
  secretsInherit,
  unpinned,
  dangerouslySkip,
  untrustedTrigger,
  scriptInjection,
  overprovisionedSecrets,
];

/** Audit a workflow's text. Never throws: anything it cannot read is one `workflow-unreadable` finding. */
export function auditWorkflow(source: string, opts: AuditOptions): AuditFinding[] {
  const unreadable = (why: string, line?: number): AuditFinding[] => [
    {
      id: 'workflow-unreadable',
      severity: 'warning',
      line,
      message: `The workflow file could not be audited: ${why}. The run continues without the audit.`,
    },
  ];
  try {
    const lc = new LineCounter();
    const doc = parseDocument(source, { lineCounter: lc, prettyErrors: false });
    if (doc.errors.length > 0) {
      const e = doc.errors[0];
      return unreadable(`invalid YAML (${e.message.split('\n')[0]})`, lc.linePos(e.pos[0]).line);
    }
    const root = asMap(buildTree(doc, lc));
    if (!root) return unreadable('it is not a YAML mapping', 1);
    const wf = readWorkflowShape(root, source, lc, opts);
    return RULES.flatMap((rule) => rule(wf, opts)).sort(byPosition);
  } catch (err) {
    return err instanceof Unreadable ? unreadable(err.message, err.line) : unreadable(String(err));
  }
}
