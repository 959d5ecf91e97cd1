/**
 * One read of a pull request's conversation per run (issue 12: every read is a sequential 100–300 ms round
 * trip). Several stages look at the same comments: the progress note and the summary upsert look for our
 * summary comment (report/progress.ts, report/summary-comment.ts), the incremental review reads the last
 * reviewed head from it (review-range.ts), and review-sync.ts learns from it which login posts as the
 * action. `withIssueCommentMemo` wraps a GitHubPort so that the first `listIssueComments` of a pull request
 * is the only request, and every later call gets that answer with this run's own writes applied to it:
 * `createIssueComment` and `updateIssueComment` put the comment GitHub answered with (its id, body, author
 * and association as stored) into the remembered list.
 *
 * Why the remembered list cannot lead to a wrong decision:
 * - Our own writes are never missing from it: a write whose answer carries no comment, or that failed
 *   (it may still have happened) other than for lack of permission, forgets the list, and the next call
 *   reads it again.
 * - What it can miss is what others did meanwhile; each use is safe with that:
 *   - the summary comment to update is the one we just posted or updated ourselves (the progress note);
 *     if someone deleted it, the update's 404 forgets the list and upsertSummaryComment reads again;
 *   - the reviewed-head record is read before the agent starts, as it always was, and after our progress
 *     note, which carries the record over;
 *   - the trusted logins of review-sync.ts can only lack a summary comment someone else posted during the
 *     run: fewer trusted markers means a finding may be posted again, never one hidden or a thread resolved
 *     on an untrusted say-so. A login stays trusted for the run when its comment changes meanwhile; it was
 *     a bot's or an insider's (isSummaryComment) when read.
 * The memo lives as long as the port: one run (the main step creates it once, orchestrator/real-ports.ts).
 */
import { GitHubPermissionError } from './errors.js';
import type { GitHubPort, IssueComment, PostedIssueComment, PullRef, RepoRef } from './port.js';

type Memoized = Pick<GitHubPort, 'listIssueComments' | 'createIssueComment' | 'updateIssueComment'>;

const repoKey = (r: RepoRef) => `${r.owner}/${r.repo}#`.toLowerCase();
const pullKey = (pr: PullRef) => `${repoKey(pr)}${pr.number}`;

/** Pure: `list` after our write of `comment`: in place of the one with its id, or (a new one) added last. */
export function withComment(
  list: readonly IssueComment[],
  comment: IssueComment,
  isNew: boolean,
): IssueComment[] {
  if (list.some((c) => c.id === comment.id)) return list.map((c) => (c.id === comment.id ? comment : c));
  return isNew ? [...list, comment] : [...list];
}

export function withIssueCommentMemo(port: GitHubPort): GitHubPort {
  const lists = new Map<string, Promise<IssueComment[]>>();
  const remember = (key: string, list: Promise<IssueComment[]>) => {
    lists.set(key, list);
    // A failed read is not remembered: the next call asks again.
    list.catch(() => {
      if (lists.get(key) === list) lists.delete(key);
    });
  };
  /** After one of our writes: put its answer into the remembered lists `keys` picks, or forget them. */
  const wrote = (keys: (key: string) => boolean, comment: IssueComment | undefined, isNew: boolean) => {
    for (const [key, list] of [...lists]) {
      if (!keys(key)) continue;
      if (comment)
        remember(
          key,
          list.then((l) => withComment(l, comment, isNew)),
        );
      else lists.delete(key);
    }
  };
  const write = async (
    keys: (key: string) => boolean,
    isNew: boolean,
    request: () => Promise<PostedIssueComment>,
  ): Promise<PostedIssueComment> => {
    let posted: PostedIssueComment;
    try {
      posted = await request();
    } catch (error) {
      // A refusal for lack of permission wrote nothing and says nothing about the list; any other failure
      // may have been stored all the same (a timeout, a 5xx) or says the list is stale (a 404).
      if (!(error instanceof GitHubPermissionError)) wrote(keys, undefined, isNew);
      throw error;
    }
    wrote(keys, posted.comment, isNew);
    return posted;
  };

  const memoized: Memoized = {
    async listIssueComments(pr) {
      const key = pullKey(pr);
      let list = lists.get(key);
      if (!list) {
        list = port.listIssueComments(pr);
        remember(key, list);
      }
      return (await list).map((c) => ({ ...c }));
    },
    createIssueComment: (pr, body) =>
      write(
        (key) => key === pullKey(pr),
        true,
        () => port.createIssueComment(pr, body),
      ),
    // The comment's pull request is not named: the remembered lists of the repository get the new text
    // where they hold the id (at most one does), or are forgotten.
    updateIssueComment: (repo, id, body) =>
      write(
        (key) => key.startsWith(repoKey(repo)),
        false,
        () => port.updateIssueComment(repo, id, body),
      ),
  };
  return new Proxy(port, {
    get(target, prop) {
      if (Object.hasOwn(memoized, prop)) return memoized[prop as keyof Memoized];
      const value: unknown = Reflect.get(target, prop);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
