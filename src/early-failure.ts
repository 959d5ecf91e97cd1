/**
 * A failure before the run can start (e.g. an unreadable event payload): reported the way every other
 * failure is — `::error::`, the outputs (`conclusion: failed`) and a job summary — never a stack trace.
 */
import * as core from '@actions/core';

export async function reportEarlyFailure(message: string): Promise<void> {
  core.setOutput('conclusion', 'failed');
  core.setOutput('findings-count', '0');
  try {
    await core.summary.addHeading('claude-guard: the run did not start', 3).addRaw(message, true).write();
  } catch (err) {
    core.warning(`Writing the job summary failed: ${(err as Error).message}`);
  }
  core.setFailed(`claude-guard: ${message}`);
}
