/**
 * The outcome of one check, shared by the modules of checks/: ok when there are no problems. Problems are written
 * for a release manager and, like details, never contain a secret's value (they name the variable, not what it holds).
 */
export interface Check {
  ok: boolean;
  problems: string[];
  details: string[];
}

export function check(problems: string[], details: string[] = []): Check {
  return { ok: problems.length === 0, problems, details };
}

/** One message for an assertion: what is wrong, each problem on its own line. */
export function describeProblems(what: string, c: Check): string {
  return c.problems.length === 0 ? `${what}: ok` : `${what}:\n  - ${c.problems.join('\n  - ')}`;
}
