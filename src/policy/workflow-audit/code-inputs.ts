/**
 * Third-party actions that run one of their inputs as code (a script, a shell command, a jq/yq program,
 * a template evaluated by the action): a `${{ }}` expression in that input is pasted into code, like one
 * in `run:`. Taken from zizmor (MIT, crates/zizmor/data/codeql-injection-sinks.json, itself extracted from
 * GitHub CodeQL's Actions models, plus zizmor's own additions in src/audit/template_injection.rs) at
 * commit 11bbf7e6cffac7ccf4f803d40255e0cd54c60236. Keys are `owner/repo` in lower case.
 */
export const CODE_INPUTS: ReadonlyMap<string, readonly string[]> = new Map([
  ['8398a7/action-slack', ['custom_payload']],
  ['actions/github-script', ['script']],
  ['appleboy/ssh-action', ['script']],
  ['azure/cli', ['inlineScript']],
  ['azure/powershell', ['inlineScript']],
  ['devorbitus/yq-action-output', ['cmd']],
  ['gautamkrishnar/blog-post-workflow', ['item_exec']],
  ['imjohnbo/issue-bot', ['body', 'linked-comments-previous-issue-text', 'linked-comments-new-issue-text']],
  ['lucasbento/auto-close-issues', ['issue-close-message']],
  ['mikefarah/yq', ['cmd']],
  ['roots/issue-closer-action', ['issue-close-message', 'pr-close-message']],
  ['sergeysova/jq-action', ['cmd']],
  ['skitionek/notify-microsoft-teams', ['overwrite']],
  ['tibdex/backport', ['body_template', 'head_template', 'labels_template', 'title_template']],
  ['amadevus/pwsh-script', ['script']],
  ['jannekem/run-python-script-action', ['script']],
  ['cardinalby/js-eval-action', ['expression']],
  ['addnab/docker-run-action', ['options', 'run']],
]);

/** The inputs of `uses` (any ref, any sub-path) that the action runs as code. */
export function codeInputsOf(uses: string): readonly string[] {
  const [owner, repo] = uses.replace(/@.*$/, '').toLowerCase().split('/');
  return repo === undefined ? [] : (CODE_INPUTS.get(`${owner}/${repo}`) ?? []);
}
