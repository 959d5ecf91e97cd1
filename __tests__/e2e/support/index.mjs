/** The end-to-end harness: scripted model API, GitHub fake, runner emulation, pull-request repositories. */
export { startModelServer, defaultReviewScript, toolResults } from './model-server.mjs';
export { startGitHubFake, anchorErrors } from './github-fake.mjs';
export { runAction, parseFileCommand, parseWorkflowCommands, inputEnvName } from './runner.mjs';
export { createPullRepo, git } from './git-repo.mjs';
export { parseHunks, splitGitDiff } from './diff-lines.mjs';
