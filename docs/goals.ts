// A chapter opens with its goals: the site puts the stage manifest's "goals" (what a learner can
// do after the stage, stages/NN-topic/manifest.json) right under the chapter's title, so the
// page says where it is going before it starts. The raw README is left as it is: the manifest is
// one click away beside it.

/** The goals of a stage's manifest.json text; [] when it has none or does not parse. */
export function manifestGoals(manifestJson: string | undefined): string[] {
  if (manifestJson === undefined) return [];
  try {
    const goals = (JSON.parse(manifestJson) as { goals?: unknown }).goals;
    return Array.isArray(goals) ? goals.filter((g): g is string => typeof g === 'string') : [];
  } catch {
    return [];
  }
}

/**
 * The markdown with a goals list inserted after its first `# ` title (outside fenced code), or
 * at the top when it has none. Unchanged when there are no goals.
 */
export function withGoals(markdown: string, goals: string[]): string {
  if (goals.length === 0) return markdown;
  const block = ['', '<div class="goals">', '', '**After this stage you can:**', '', ...goals.map((g) => `- ${g}`), '', '</div>', ''];
  const lines = markdown.split('\n');
  let inFence = false;
  for (let i = 0; i < lines.length; i++) {
    if (/^\s*(`{3,}|~{3,})/.test(lines[i])) inFence = !inFence;
    if (!inFence && /^#\s+/.test(lines[i])) return [...lines.slice(0, i + 1), ...block, ...lines.slice(i + 1)].join('\n');
  }
  return [...block, ...lines].join('\n');
}
