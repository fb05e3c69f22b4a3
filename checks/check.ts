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
