/**
 * The GitHub port: the small interface the rest of the action uses to talk to GitHub, and the plain
 * typed objects it takes and returns. Implemented on Octokit by client.ts, and by the fake in tests.
 */
import type { CommentSnapshot } from './on-demand-api.js';

export interface RepoRef {
  owner: string;
  repo: string;
}

export interface PullRef extends RepoRef {
  number: number;
}

export interface PullFile {
  filename: string;
  status: string;
  additions: number;
  deletions: number;
  /** Unified diff of the file; absent for binary or very large files. */
  patch?: string;
  previous_filename?: string;
}

export interface ReviewComment {
  path: string;
  line: number;
  side: 'RIGHT';
  start_line?: number;
  start_side?: 'RIGHT';
  body: string;
}

export interface ReviewRequest {
  body: string;
  event: 'COMMENT';
  commit_id: string;
  comments: ReviewComment[];
}

export interface IssueComment {
  id: number;
  body: string;
  /** Login of the author ('' for a deleted account). */
  author: string;
  /** 'User', 'Bot', 'Organization' … ('' when unknown). */
  authorType: string;
  /** OWNER, MEMBER, COLLABORATOR, CONTRIBUTOR, NONE … */
  authorAssociation: string;
  /** ISO time the comment was created ('' when unknown). */
  createdAt?: string;
}

export type { CommentSnapshot } from './on-demand-api.js';

/** An inline comment already on the pull request (GET pulls/{n}/comments). */
export interface PostedReviewComment {
  id: number;
  body: string;
  path: string;
  /** null when the comment is outdated (its line is no longer in the diff). */
  line: number | null;
  author: string;
  authorType: string;
  authorAssociation: string;
  nodeId?: string;
  createdAt?: string;
}

/** A review thread (GraphQL), identified by its node id and by the REST id of its first comment. */
export interface ReviewThread {
  id: string;
  isResolved: boolean;
  firstCommentId?: number;
}

/** A collaborator's role on a repository, highest first. */
export type RepoPermission = 'admin' | 'maintain' | 'write' | 'triage' | 'read' | 'none';

export interface Posted {
  id: number;
  url: string;
}

/** A conversation comment just written: where it is, and (when the port has it) the comment as GitHub stored it. */
export interface PostedIssueComment extends Posted {
  comment?: IssueComment;
}

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

export interface GitHubPort {
  listPullFiles(pr: PullRef): Promise<PullFile[]>;
  createReview(pr: PullRef, review: ReviewRequest): Promise<Posted>;
  /** Every comment on the pull request's conversation, all pages, oldest first. */
  listIssueComments(pr: PullRef): Promise<IssueComment[]>;
  createIssueComment(pr: PullRef, body: string): Promise<PostedIssueComment>;
  updateIssueComment(repo: RepoRef, id: number, body: string): Promise<PostedIssueComment>;
  /** `username`'s role on `repo`; 'none' for someone who is not a collaborator (or does not exist). */
  getCollaboratorPermission(repo: RepoRef, username: string): Promise<RepoPermission>;
  /** Every inline review comment on the pull request, all pages, oldest first. */
  listReviewComments(pr: PullRef): Promise<PostedReviewComment[]>;
  /** Every review thread on the pull request, all pages (GraphQL). */
  listReviewThreads(pr: PullRef): Promise<ReviewThread[]>;
  /** Marks a review thread resolved (GraphQL `resolveReviewThread`). */
  resolveReviewThread(threadId: string): Promise<void>;
  /** A file's text at `ref` (a commit SHA, tag or branch; the default branch when unset). */
  getFileContent(repo: RepoRef, path: string, ref?: string): Promise<string>;
  /** GitHub's record of one pull request; undefined when there is none with that number. */
  getPull(pr: PullRef): Promise<PullDetails | undefined>;
  /** The open pull requests of `repo` whose head is `head` (`owner:branch`), first page (at most 100). */
  listOpenPullsByHead(repo: RepoRef, head: string): Promise<PullDetails[]>;
  /** A conversation comment as it is now (404 → GitHubApiError with status 404). */
  getIssueComment(repo: RepoRef, id: number): Promise<CommentSnapshot>;
  /** An inline review comment as it is now. */
  getReviewComment(repo: RepoRef, id: number): Promise<CommentSnapshot>;
  /** A reply in the review thread of comment `commentId`. */
  replyToReviewComment(pr: PullRef, commentId: number, body: string): Promise<Posted>;
}
