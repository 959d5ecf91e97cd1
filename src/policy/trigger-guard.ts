/**
 * Who and what may start a run (threat-model X7, and the "who may trigger" rows of every Sx/Xx: an
 * agent started by an outsider works on text and code the outsider wrote).
 *
 * `classifyTrigger` reads the event: `pull_request_target` and `workflow_run` run with the base
 * repository's secrets on work someone else controls; a pull request from a fork (or from a deleted
 * fork) carries an outsider's code. Those are untrusted. Bots are recognised by login or sender type.
 *
 * `decideTrigger` is the policy, pure and in this order:
 *  1. a bot runs only when its exact login is in `allowed-bots` (case-insensitive). A wildcard is
 *     NOT supported: bots relay text written by third parties (Dependabot and Renovate paste upstream
 *     release notes into their pull requests), and `*` would let every App installed later trigger
 *     runs unreviewed — naming each bot keeps that an explicit decision.
 *  2. an untrusted trigger is refused unless `allow-untrusted-pr` is true;
 *  3. a person needs write access (write, maintain, admin); an unknown permission is refused. (A
 *     named bot skips this: Apps are not collaborators, naming one is the explicit trust.) With
 *     `allow-untrusted-pr` someone without write access is treated as an untrusted trigger instead:
 *     that is who opens fork pull requests, and reviewing their work is what the input is for.
 * Anything untrusted that is allowed runs read-only (never the write scope of custom mode) and
 * requires strict isolation whenever the machine offers it, so it cannot silently degrade.
 *
 * `checkActorPermission` is the thin effectful part (one GitHub call). A refusal is thrown as
 * `TriggerRefused`, whose message is the user-facing text (no stack trace needed to understand it).
 */
import type { GitHubPort, RepoPermission, RepoRef } from '../github/client.js';
import type { IsolationLevel } from '../inputs.js';

export interface TriggerInput {
  eventName: string;
  payload: unknown;
  /** `owner/name` of the repository the workflow runs in. */
  repository: string;
  actor: string;
  /** 'User', 'Bot', … when the caller knows it. */
  actorType?: string;
}

export interface Trigger {
  untrusted: boolean;
  /** Why the trigger is untrusted, one sentence each (empty when trusted). */
  reasons: string[];
  /** The pull request's code comes from another repository (or one since deleted). */
  fork: boolean;
  bot: boolean;
  /** Carried for the decision's messages and the bot allow-list. */
  actor: string;
  repository: string;
}

export interface TriggerDecisionInput {
  trigger: Trigger;
  allowUntrustedPr: boolean;
  allowedBots: string[];
  /** The actor's role on the repository; undefined when not looked up (refused for a person). */
  actorPermission?: RepoPermission;
  /** The strongest isolation the preflight found possible on this machine. */
  isolationAvailable?: IsolationLevel;
}

export type TriggerDecision =
  | { allowed: true; constraints: { readOnly: boolean; requireIsolation?: 'strict' } }
  | { allowed: false; message: string };

/** A run refused by policy; the message is meant for the person reading the job log. */
export class TriggerRefused extends Error {
  /**
   * @param notAllowed the trigger or actor is simply not allowed (a bot not listed, a fork, a reader):
   *   with `on-refused: skip` (the default) the run ends successfully as `skipped`, with a notice.
   *   A refused configuration (fix mode on an untrusted trigger, a failed workflow audit) always fails.
   * @param nothingToDo the event asks for nothing (a comment that is no command, another label): it ends
   *   as `skipped` whatever `on-refused` says — anyone can comment, and a comment must not fail the job.
   */
  constructor(
    message: string,
    readonly notAllowed = false,
    readonly nothingToDo = false,
  ) {
    super(message);
    this.name = 'TriggerRefused';
  }
}

const UNTRUSTED_EVENTS: Record<string, string> = {
  pull_request_target:
    "the event 'pull_request_target' runs with the base repository's secrets and a write token " +
    'on a pull request anyone can open',
  workflow_run:
    "the event 'workflow_run' runs with the repository's secrets on the result of another workflow, " +
    'which may have run code from a fork',
};

const WRITE_ACCESS: readonly RepoPermission[] = ['admin', 'maintain', 'write'];

interface RepoSide {
  full_name?: unknown;
}
interface EventPayload {
  sender?: { type?: unknown };
  pull_request?: { base?: { repo?: RepoSide | null }; head?: { repo?: RepoSide | null } };
  workflow_run?: { repository?: RepoSide | null; head_repository?: RepoSide | null };
}

const nameOf = (side: RepoSide | null | undefined): string | null =>
  typeof side?.full_name === 'string' ? side.full_name : null;

/** Compares the head repository with the base; null head = the fork was deleted. */
function forkReason(head: RepoSide | null | undefined, base: string, what: string): string | undefined {
  if (head === undefined) return undefined;
  const headName = nameOf(head);
  if (headName === null) return `the ${what} comes from a repository that no longer exists (a deleted fork)`;
  if (headName.toLowerCase() !== base.toLowerCase()) {
    return `the ${what} comes from the fork ${headName}, not from ${base}`;
  }
  return undefined;
}

export function classifyTrigger(input: TriggerInput): Trigger {
  const payload = (
    typeof input.payload === 'object' && input.payload !== null ? input.payload : {}
  ) as EventPayload;
  const reasons: string[] = [];
  const eventReason = UNTRUSTED_EVENTS[input.eventName];
  if (eventReason) reasons.push(eventReason);

  const pr = payload.pull_request;
  const run = payload.workflow_run;
  const fromFork = pr
    ? forkReason(pr.head?.repo, nameOf(pr.base?.repo) ?? input.repository, 'pull request')
    : run
      ? forkReason(run.head_repository, nameOf(run.repository) ?? input.repository, 'triggering workflow run')
      : undefined;
  if (fromFork) reasons.push(fromFork);

  const bot = /\[bot\]$/i.test(input.actor) || input.actorType === 'Bot' || payload.sender?.type === 'Bot';
  return {
    untrusted: reasons.length > 0,
    reasons,
    fork: fromFork !== undefined,
    bot,
    actor: input.actor,
    repository: input.repository,
  };
}

const FORK_SAFE_PATTERN =
  'The fork-safe pattern (examples/fork-safe-*.yml): an unprivileged `pull_request` job (no secrets) ' +
  'completes; a `workflow_run` job checks out its head commit without credentials and runs claude-guard ' +
  'with `allow-untrusted-pr: true`, which verifies the pull request against GitHub, reviews it read-only ' +
  'and posts the review on it.';

export function decideTrigger(input: TriggerDecisionInput): TriggerDecision {
  const { trigger } = input;
  const refuse = (message: string): TriggerDecision => ({
    allowed: false,
    message: `claude-guard refused to run: ${message}`,
  });

  if (trigger.bot) {
    const named = input.allowedBots.some((b) => b.toLowerCase() === trigger.actor.toLowerCase());
    if (!named) {
      const wildcard = input.allowedBots.includes('*')
        ? " The wildcard '*' is not supported: bots relay text written by others, so each one must be named."
        : '';
      return refuse(
        `the actor @${trigger.actor} is a bot that is not listed in the input 'allowed-bots'. ` +
          `Add its exact login (for example '${trigger.actor}') to 'allowed-bots' to let it trigger runs.${wildcard}`,
      );
    }
  }

  if (trigger.untrusted && !input.allowUntrustedPr) {
    return refuse(
      `this run is untrusted: ${trigger.reasons.join('; ')}. An agent started here would work on code and ` +
        `text an outsider controls. Set the input 'allow-untrusted-pr: true' to run read-only anyway. ` +
        FORK_SAFE_PATTERN,
    );
  }

  let untrusted = trigger.untrusted;
  if (!trigger.bot) {
    const permission = input.actorPermission;
    if (permission === undefined) {
      return refuse(`the repository permission of @${trigger.actor} on ${trigger.repository} is unknown.`);
    }
    if (!WRITE_ACCESS.includes(permission)) {
      if (!input.allowUntrustedPr) {
        return refuse(
          `@${trigger.actor} has '${permission}' permission on ${trigger.repository}; claude-guard runs only ` +
            `for collaborators with write access. To review pull requests from people without write ` +
            `access read-only, set the input 'allow-untrusted-pr: true'.`,
        );
      }
      untrusted = true;
    }
  }

  if (!untrusted) return { allowed: true, constraints: { readOnly: false } };
  return {
    allowed: true,
    constraints: {
      readOnly: true,
      ...(input.isolationAvailable === 'strict' ? { requireIsolation: 'strict' } : {}),
    },
  };
}

/** The actor's role on the repository (one GitHub call). */
export function checkActorPermission(
  port: GitHubPort,
  repo: RepoRef,
  actor: string,
): Promise<RepoPermission> {
  return port.getCollaboratorPermission(repo, actor);
}
