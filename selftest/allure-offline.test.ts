/**
 * The Allure report opens offline and tells no one (checklist/allure.ts offlineHtml, scripts/report.ts): Allure
 * 3.18 writes Google Analytics into every report page; on a machine without internet that script held the page's
 * load event until the connection gave up. The browser check is selftest/report/allure.spec.ts (no request leaves
 * the file); these cover the text the awesome plugin writes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { externalRefs, offlineHtml } from '../checklist/allure.ts';

// The head and body of a report page as Allure 3.18's awesome plugin writes it (analytics on), shortened.
const PAGE = `<!DOCTYPE html><html><head><link rel="icon" href="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'%3E%3C/svg%3E">
<script>window.allureReportOptions = {"reportName":"rag-gate"}</script></head><body><div id="app"></div>
<script src="data:text/javascript;base64,AAAA"></script>
    <script async src="https://www.googletagmanager.com/gtag/js?id=G-XXXX"></script>
    <script>
        window.dataLayer = window.dataLayer || [];
        function gtag(){dataLayer.push(arguments);}
        gtag('js', new Date());
        gtag('config', 'G-XXXX', { "report": "awesome" });
    </script>
</body></html>`;

test('the analytics scripts go, the report\'s own scripts stay', () => {
  assert.deepEqual(externalRefs(PAGE), ['https://www.googletagmanager.com/gtag/js?id=G-XXXX']);
  const { html, removed } = offlineHtml(PAGE);
  assert.equal(removed, 2);
  assert.deepEqual(externalRefs(html), []);
  assert.doesNotMatch(html, /gtag|dataLayer|googletagmanager/);
  assert.match(html, /window\.allureReportOptions/);
  assert.match(html, /src="data:text\/javascript;base64,AAAA"/);
});

test('a page without analytics is left as it is; another outside address is named', () => {
  const clean = offlineHtml(offlineHtml(PAGE).html);
  assert.equal(clean.removed, 0);
  assert.equal(clean.html, offlineHtml(PAGE).html);
  const cdn = PAGE.replace('<div id="app"></div>', '<div id="app"></div><link rel="stylesheet" href="//cdn.example.com/a.css"><script src="http://cdn.example.com/b.js"></script>');
  assert.deepEqual(externalRefs(offlineHtml(cdn).html), ['//cdn.example.com/a.css', 'http://cdn.example.com/b.js']);
});
