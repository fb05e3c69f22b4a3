/**
 * The report page's fixture: a Playwright JSON report as the json reporter writes it, for six tests on the
 * checklist's "Individual Service Health" items – passed (with a measured figure, a note and a transcript), failed
 * (with its message, a screenshot and a transcript), failed but waived (waivers/), not verified – plus an
 * attestation (attestations/) for PRE-SECCONF-5. Every other item stays not run or not verified in hermetic mode.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JSONReport, JSONReportSpec, JSONReportTest, JSONReportTestResult } from '@playwright/test/reporter';
import type { AnnotationKind } from '../../checklist/model.ts';

export const FIXTURE_DIR = fileURLToPath(new URL('fixture', import.meta.url));

interface FixtureTest {
  title: string;
  ids: string[];
  outcome: 'passed' | 'failed' | 'not-verified';
  /** The error message of a failed test (Playwright's shape), the reason of a not-verified one. */
  message?: string;
  notes?: Array<{ type: Exclude<AnnotationKind, 'checklist' | 'not-verified'>; description: string }>;
  texts?: Record<string, string>;
  screenshot?: string;
  durationMs: number;
}

const TESTS: FixtureTest[] = [
  {
    title: 'RAG backend /health answers 200 and reports every component healthy',
    ids: ['P2-HEALTH-1'],
    outcome: 'passed',
    notes: [
      { type: 'measured', description: 'answered in 14 ms' },
      { type: 'info', description: 'through nginx at https://localhost:44983 (the backend port is not published in hermetic mode)' },
    ],
    texts: {
      'GET /health': '> GET https://localhost:44983/health\n< 200 (14 ms)\n< content-type: application/json\n<\n{"status":"healthy","components":{"chromadb":"healthy","ollama":"healthy","redis":"healthy"}}\n',
    },
    durationMs: 212,
  },
  { title: 'Reflex frontend /_health answers 200', ids: ['P2-HEALTH-2'], outcome: 'passed', durationMs: 96 },
  {
    title: 'ChromaDB heartbeat answers 200',
    ids: ['P2-HEALTH-3'],
    outcome: 'failed',
    message: 'Error: ChromaDB heartbeat: GET /api/v1/heartbeat answered 410 Gone (ChromaDB 1.x retired the v1 API)\n\nexpect(received).toBe(expected) // Object.is equality\n\nExpected: 200\nReceived: 410',
    texts: {
      'HTTP transcript (1 exchanges)': '> GET https://localhost:44983/api/v1/heartbeat\n< 410 (9 ms)\n< content-type: application/json\n<\n{"error":"Unimplemented","message":"The v1 API is deprecated. Please use /v2 apis"}\n\n<!-- markup in a transcript stays text: <script>alert(1)</script> -->\n',
    },
    screenshot: 'test-failed-1.png',
    durationMs: 1840,
  },
  {
    title: 'Nginx /health answers 200 through port 80',
    ids: ['P2-HEALTH-4'],
    outcome: 'failed',
    message: 'Error: nginx /health answered 502 Bad Gateway: the backend upstream was restarting\n\nexpect(received).toBe(expected) // Object.is equality\n\nExpected: 200\nReceived: 502',
    notes: [{ type: 'warning', description: 'the first attempt answered 200; the 502 came during the backend\'s restart' }],
    durationMs: 2310,
  },
  {
    title: 'Prometheus /-/healthy answers 200',
    ids: ['P2-HEALTH-5'],
    outcome: 'not-verified',
    message: 'live: port 9090 is not reachable from here (set RAG_PROMETHEUS_URL)',
    durationMs: 3,
  },
  { title: 'Grafana /api/health answers 200', ids: ['P2-HEALTH-6'], outcome: 'passed', durationMs: 154 },
];

const START = Date.parse('2026-02-28T09:30:00.000Z');

function annotationsOf(t: FixtureTest): JSONReportTest['annotations'] {
  return [
    ...t.ids.map((id) => ({ type: 'checklist', description: id })),
    ...(t.outcome === 'not-verified' ? [{ type: 'not-verified', description: t.message! }, { type: 'skip', description: `not verified: ${t.message!}` }] : []),
    ...(t.notes ?? []),
  ];
}

function resultOf(t: FixtureTest, startMs: number): JSONReportTestResult {
  const status = t.outcome === 'not-verified' ? 'skipped' : t.outcome;
  const attachments: JSONReportTestResult['attachments'] = [
    ...(t.screenshot ? [{ name: 'screenshot', contentType: 'image/png', path: join(FIXTURE_DIR, t.screenshot) }] : []),
    ...Object.entries(t.texts ?? {}).map(([name, text]) => ({ name, contentType: 'text/plain', body: Buffer.from(text).toString('base64') })),
  ];
  return {
    workerIndex: 0,
    parallelIndex: 0,
    status,
    duration: t.durationMs,
    errors: t.outcome === 'failed' ? [{ message: t.message! }] : [],
    stdout: [],
    stderr: [],
    retry: 0,
    startTime: new Date(startMs).toISOString(),
    attachments,
    annotations: annotationsOf(t),
    ...(t.outcome === 'failed' ? { error: { message: t.message! } } : {}),
  } as JSONReportTestResult;
}

/** The fixture's report; attachment paths are absolute, as the json reporter writes them. */
export function fixtureReport(): JSONReport {
  let at = START;
  const specs: JSONReportSpec[] = TESTS.map((t, n) => {
    const result = resultOf(t, at);
    at += t.durationMs + 40;
    const test = {
      timeout: 60_000,
      annotations: annotationsOf(t),
      expectedStatus: t.outcome === 'not-verified' ? 'skipped' : 'passed',
      projectId: 'deployment',
      projectName: 'deployment',
      results: [result],
      status: t.outcome === 'failed' ? 'unexpected' : t.outcome === 'passed' ? 'expected' : 'skipped',
    } as JSONReportTest;
    return { title: t.title, ok: t.outcome !== 'failed', tags: t.ids.map((id) => `@${id}`), tests: [test], id: `fixture-${n}`, file: '20-deployment/health.spec.ts', line: 10 + n * 12, column: 3 };
  });
  return {
    config: { metadata: { mode: 'hermetic', target: 'https://localhost:44983' }, version: '1.65.1' },
    suites: [
      {
        title: '20-deployment/health.spec.ts',
        file: '20-deployment/health.spec.ts',
        line: 0,
        column: 0,
        specs: [],
        suites: [{ title: 'Step 3: individual service health', file: '20-deployment/health.spec.ts', line: 8, column: 1, specs }],
      },
    ],
    errors: [],
    stats: { startTime: new Date(START).toISOString(), duration: at - START, expected: 3, unexpected: 2, flaky: 0, skipped: 1 },
  } as unknown as JSONReport;
}
