/**
 * A pull request as GitHub records it, in the plain shape the rest of the action reads (client.ts turns
 * GitHub's full and simple pull request objects into it). Kept apart so client.ts stays one job: calling.
 */

/** A pull request as GitHub records it (GET pulls/{n}); the text fields are untrusted (the author wrote them). */
export interface PullDetails {
  number: number;
  /** 'open' or 'closed'. */
  state: string;
  baseSha: string;
  /** `owner/name` of the base repository. */
  baseRepo: string;
  headSha: string;
  headRef: string;
  /** `owner/name` of the head repository; null when it was deleted. */
  headRepo: string | null;
  title: string;
  body: string;
  changedFiles?: number;
}

/** The fields of GitHub's pull request object (full or simple) that PullDetails keeps. */
export interface PullData {
  number: number;
  state: string;
  title: string;
  body?: string | null;
  changed_files?: number;
  base: { sha: string; repo: { full_name: string } };
  head: { sha: string; ref: string; repo: { full_name: string } | null };
}

/** GitHub's pull request object (full or simple) → PullDetails. */
export function pullDetails(p: PullData): PullDetails {
  return {
    number: p.number,
    state: p.state,
    baseSha: p.base.sha,
    baseRepo: p.base.repo.full_name,
    headSha: p.head.sha,
    headRef: p.head.ref,
    headRepo: p.head.repo?.full_name ?? null,
    title: p.title,
    body: p.body ?? '',
    ...(typeof p.changed_files === 'number' ? { changedFiles: p.changed_files } : {}),
  };
}
