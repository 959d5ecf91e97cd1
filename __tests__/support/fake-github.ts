/**
 * A stateful in-memory GitHubPort for unit tests: pull request files, reviews and conversation
 * comments live in plain arrays the test can seed and inspect; every call is logged in `calls`;
 * `failures` makes an operation throw (e.g. a GitHubPermissionError); `permissions` seeds collaborator roles;
 * `addFile` seeds a file another repository serves through the contents API.
 * Each inline comment of a created review becomes a review comment in its own thread, as on GitHub.
 */
import { GitHubApiError, missingFileDetail } from '../../src/github/client.js';
import { fromPullFiles, placeFinding } from '../../src/findings/diff.js';
import type {
  CommentSnapshot,
  GitHubPort,
  IssueComment,
  Posted,
  PostedIssueComment,
  PostedReviewComment,
  PullDetails,
  PullFile,
  PullRef,
  RepoPermission,
  RepoRef,
  ReviewRequest,
  ReviewThread,
} from '../../src/github/client.js';

type Op = keyof GitHubPort;

export interface FakeComment extends IssueComment {
  pr: PullRef;
}

/** An inline review comment and the one thread it starts. */
export interface FakeReviewComment extends PostedReviewComment {
  pr: PullRef;
  threadId: string;
  resolved: boolean;
}

/** The identity the fake posts as: the GITHUB_TOKEN's bot. */
export const FAKE_BOT = { author: 'github-actions[bot]', authorType: 'Bot', authorAssociation: 'NONE' };

const samePr = (a: PullRef, b: PullRef) => a.owner === b.owner && a.repo === b.repo && a.number === b.number;

export class FakeGitHub implements GitHubPort {
  files: PullFile[] = [];
  readonly reviews: { pr: PullRef; review: ReviewRequest; id: number }[] = [];
  readonly comments: FakeComment[] = [];
  readonly reviewComments: FakeReviewComment[] = [];
  readonly calls: Op[] = [];
  readonly failures: Partial<Record<Op, Error>> = {};
  /** When set, a review with a comment outside `files`' diff is refused with GitHub's 422. */
  checkAnchors = false;
  /** Collaborator roles by login (matched case-insensitively); anyone else has 'none'. */
  readonly permissions: Record<string, RepoPermission> = {};
  /** Pull requests GitHub knows (getPull, listOpenPullsByHead), in the repository the run is in. */
  readonly pulls: PullDetails[] = [];
  /** Replies posted in review threads, by the comment replied to. */
  readonly replies: { pr: PullRef; inReplyTo: number; body: string; id: number }[] = [];
  /** Comments as the API reports them now (the triggering comment, re-read), by id. */
  readonly snapshots = new Map<number, CommentSnapshot>();
  private nextId = 1000;
  private readonly repoFiles = new Map<string, string>();

  /** Seed a file (already decoded) at `ref`; without a ref it is what the default branch serves. */
  addFile(repo: RepoRef, path: string, content: string, ref?: string): void {
    this.repoFiles.set(`${repo.owner}/${repo.repo}/${path}@${ref ?? ''}`, content);
  }

  /** Seed a pull request as GET pulls/{n} reports it (defaults for what the test does not care about). */
  addPull(pull: Partial<PullDetails> & { number: number }): PullDetails {
    const full: PullDetails = {
      state: 'open',
      headSha: 'h'.repeat(40),
      baseSha: 'b'.repeat(40),
      headRepo: 'octo/app',
      headRef: 'feature',
      baseRepo: 'octo/app',
      title: 'A change',
      body: '',
      ...pull,
    };
    this.pulls.push(full);
    return full;
  }

  /** Seed a comment as someone else would have written it. */
  addComment(
    pr: PullRef,
    body: string,
    who: Partial<typeof FAKE_BOT> & { createdAt?: string } = {},
  ): FakeComment {
    const c = { ...FAKE_BOT, createdAt: new Date().toISOString(), ...who, pr, id: this.nextId++, body };
    this.comments.push(c);
    return c;
  }

  /** Seed an inline comment (and its thread) as someone else, or an earlier run, would have written it. */
  addReviewComment(
    pr: PullRef,
    c: { path: string; line: number; body: string },
    who: Partial<typeof FAKE_BOT> = {},
  ): FakeReviewComment {
    const id = this.nextId++;
    const comment = {
      ...FAKE_BOT,
      ...who,
      path: c.path,
      line: c.line,
      body: c.body,
      pr,
      id,
      nodeId: `PRRC_${id}`,
      threadId: `PRRT_${id}`,
      resolved: false,
    };
    this.reviewComments.push(comment);
    return comment;
  }

  commentsOn(pr: PullRef): FakeComment[] {
    return this.comments.filter((c) => samePr(c.pr, pr));
  }

  private enter(op: Op): void {
    this.calls.push(op);
    const failure = this.failures[op];
    if (failure) throw failure;
  }

  private posted(id: number): Posted {
    return { id, url: `https://github.test/comment/${id}` };
  }

  async listPullFiles(_pr: PullRef): Promise<PullFile[]> {
    this.enter('listPullFiles');
    return structuredClone(this.files);
  }

  async createReview(pr: PullRef, review: ReviewRequest): Promise<Posted> {
    this.enter('createReview');
    if (this.checkAnchors) {
      const diff = fromPullFiles(this.files);
      const bad = review.comments.find((c) => {
        const where = placeFinding({ path: c.path, line: c.start_line ?? c.line, end_line: c.line }, diff);
        return !where.inline;
      });
      if (bad)
        throw new GitHubApiError(
          'create a review',
          422,
          'Unprocessable Entity: Pull request review thread line must be part of the diff',
        );
    }
    const id = this.nextId++;
    this.reviews.push({ pr, review: structuredClone(review), id });
    for (const c of review.comments) this.addReviewComment(pr, c);
    return this.posted(id);
  }

  async listIssueComments(pr: PullRef): Promise<IssueComment[]> {
    this.enter('listIssueComments');
    return this.commentsOn(pr).map(({ pr: _pr, ...c }) => c);
  }

  /** As GitHub does, a write answers with the comment as stored. */
  async createIssueComment(pr: PullRef, body: string): Promise<PostedIssueComment> {
    this.enter('createIssueComment');
    const { pr: _pr, ...comment } = this.addComment(pr, body);
    return { ...this.posted(comment.id), comment };
  }

  async updateIssueComment(repo: RepoRef, id: number, body: string): Promise<PostedIssueComment> {
    this.enter('updateIssueComment');
    const c = this.comments.find((x) => x.id === id && x.pr.owner === repo.owner && x.pr.repo === repo.repo);
    if (!c) throw new GitHubApiError('update a comment', 404, 'Not Found');
    c.body = body;
    const { pr: _pr, ...comment } = c;
    return { ...this.posted(id), comment };
  }

  async getIssueComment(_repo: RepoRef, id: number): Promise<CommentSnapshot> {
    this.enter('getIssueComment');
    const c = this.snapshots.get(id);
    if (!c) throw new GitHubApiError('read the triggering comment', 404, 'Not Found');
    return structuredClone(c);
  }

  async getReviewComment(_repo: RepoRef, id: number): Promise<CommentSnapshot> {
    this.enter('getReviewComment');
    const c = this.snapshots.get(id);
    if (!c) throw new GitHubApiError('read the triggering comment', 404, 'Not Found');
    return structuredClone(c);
  }

  async replyToReviewComment(pr: PullRef, commentId: number, body: string): Promise<Posted> {
    this.enter('replyToReviewComment');
    const original = this.reviewComments.find((c) => c.id === commentId && samePr(c.pr, pr));
    if (!original) throw new GitHubApiError('reply in a review thread', 404, 'Not Found');
    const id = this.nextId++;
    this.replies.push({ pr, inReplyTo: commentId, body, id });
    this.reviewComments.push({
      ...original,
      ...FAKE_BOT,
      id,
      body,
      nodeId: `PRRC_${id}`,
      createdAt: new Date().toISOString(),
    });
    return this.posted(id);
  }

  async getCollaboratorPermission(_repo: RepoRef, username: string): Promise<RepoPermission> {
    this.enter('getCollaboratorPermission');
    const login = Object.keys(this.permissions).find((k) => k.toLowerCase() === username.toLowerCase());
    return login === undefined ? 'none' : this.permissions[login];
  }

  async listReviewComments(pr: PullRef): Promise<PostedReviewComment[]> {
    this.enter('listReviewComments');
    return this.reviewComments
      .filter((c) => samePr(c.pr, pr))
      .map(({ pr: _pr, threadId: _t, resolved: _r, ...c }) => c);
  }

  async listReviewThreads(pr: PullRef): Promise<ReviewThread[]> {
    this.enter('listReviewThreads');
    return this.reviewComments
      .filter((c) => samePr(c.pr, pr))
      .map((c) => ({ id: c.threadId, isResolved: c.resolved, firstCommentId: c.id }));
  }

  async resolveReviewThread(threadId: string): Promise<void> {
    this.enter('resolveReviewThread');
    const c = this.reviewComments.find((x) => x.threadId === threadId);
    if (!c) throw new Error(`fake GitHub: no review thread ${threadId}`);
    c.resolved = true;
  }

  async getFileContent(repo: RepoRef, path: string, ref?: string): Promise<string> {
    this.enter('getFileContent');
    const content = this.repoFiles.get(`${repo.owner}/${repo.repo}/${path}@${ref ?? ''}`);
    if (content === undefined) {
      throw new GitHubApiError('read the policy file', 404, missingFileDetail(repo, path, ref));
    }
    return content;
  }

  async getPull(pr: PullRef): Promise<PullDetails | undefined> {
    this.enter('getPull');
    const found = this.pulls.find((p) => p.number === pr.number);
    return found && structuredClone(found);
  }

  async listOpenPullsByHead(_repo: RepoRef, head: string): Promise<PullDetails[]> {
    this.enter('listOpenPullsByHead');
    const [owner, ref] = [head.slice(0, head.indexOf(':')), head.slice(head.indexOf(':') + 1)];
    return structuredClone(
      this.pulls.filter(
        (p) =>
          p.state === 'open' &&
          p.headRef === ref &&
          p.headRepo?.split('/')[0].toLowerCase() === owner.toLowerCase(),
      ),
    );
  }
}
