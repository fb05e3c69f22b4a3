/**
 * What reports/checklist.html carries inline so that it works from file:// and offline: its stylesheet (screen
 * and print), the status marks as SVG symbols (no emoji: a browser without an emoji font would show blank
 * boxes), and the small script behind the filters, the search and the print layout. No external assets.
 */
import type { Status } from './results.ts';

/** Status colours; each mark also differs by shape, so the page reads in greyscale and on paper. */
const COLOURS: Record<Status, string> = {
  passed: '#1a7f37',
  failed: '#cf222e',
  not_verified: '#6e7781',
  attested: '#8250df',
  waived: '#bf8700',
  not_run: '#8c959f',
};

const CHECK = 'M4.6 8.3l2.2 2.2 4.6-4.8';

/** One <symbol> per status: filled circle + check, filled circle + cross, ring + dash, square + check, triangle + !, ring + pause. */
export const MARK_SYMBOLS = `<svg xmlns="http://www.w3.org/2000/svg" width="0" height="0" style="position:absolute" aria-hidden="true" focusable="false">
<symbol id="m-passed" viewBox="0 0 16 16"><circle cx="8" cy="8" r="7.5" fill="${COLOURS.passed}"/><path d="${CHECK}" fill="none" stroke="#fff" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round"/></symbol>
<symbol id="m-failed" viewBox="0 0 16 16"><circle cx="8" cy="8" r="7.5" fill="${COLOURS.failed}"/><path d="M5.4 5.4l5.2 5.2M10.6 5.4l-5.2 5.2" fill="none" stroke="#fff" stroke-width="1.8" stroke-linecap="round"/></symbol>
<symbol id="m-not_verified" viewBox="0 0 16 16"><circle cx="8" cy="8" r="6.6" fill="#fff" stroke="${COLOURS.not_verified}" stroke-width="1.7"/><path d="M5.2 8h5.6" stroke="${COLOURS.not_verified}" stroke-width="1.8" stroke-linecap="round"/></symbol>
<symbol id="m-attested" viewBox="0 0 16 16"><rect x="1" y="1" width="14" height="14" rx="3" fill="${COLOURS.attested}"/><path d="${CHECK}" fill="none" stroke="#fff" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round"/></symbol>
<symbol id="m-waived" viewBox="0 0 16 16"><path d="M8 1.3l7 12.6H1z" fill="${COLOURS.waived}" stroke="${COLOURS.waived}" stroke-width="1.2" stroke-linejoin="round"/><path d="M8 5.6v4" stroke="#fff" stroke-width="1.7" stroke-linecap="round"/><circle cx="8" cy="11.9" r="1" fill="#fff"/></symbol>
<symbol id="m-not_run" viewBox="0 0 16 16"><circle cx="8" cy="8" r="6.6" fill="#fff" stroke="${COLOURS.not_run}" stroke-width="1.7" stroke-dasharray="2.6 1.8"/><path d="M6.6 5.8v4.4M9.4 5.8v4.4" stroke="${COLOURS.not_run}" stroke-width="1.6" stroke-linecap="round"/></symbol>
</svg>`;

const STATUS_VARS = Object.entries(COLOURS).map(([s, c]) => `--${s}:${c}`).join(';');

export const STYLE = `
:root{--fg:#1f2328;--muted:#59636e;--faint:#818b98;--line:#d1d9e0;--soft:#eef1f4;--bg2:#f6f8fa;--link:#0969da;${STATUS_VARS}}
*{box-sizing:border-box}
body{margin:0;color:var(--fg);background:#fff;font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Helvetica Neue",Arial,sans-serif}
.page{max-width:1180px;margin:0 auto;padding:28px 32px 72px}
a{color:var(--link);text-decoration:none}a:hover{text-decoration:underline}
code,pre,.id,.mono{font-family:ui-monospace,SFMono-Regular,"SF Mono",Menlo,Consolas,"Liberation Mono",monospace}
code{font-size:.88em;background:var(--bg2);border-radius:4px;padding:.1em .35em}
pre{font-size:12.5px;line-height:1.45;background:var(--bg2);border:1px solid var(--line);border-radius:6px;padding:10px 12px;overflow:auto;margin:6px 0}
pre code{background:none;padding:0;font-size:inherit}
.glyph{filter:grayscale(1);opacity:.55;font-weight:400}.glyph.missing{display:none}
.mark{width:16px;height:16px;flex:none;vertical-align:-3px}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.kicker{margin:0;color:var(--muted);font-size:12px;letter-spacing:.06em;text-transform:uppercase;font-weight:600}
h1{font-size:26px;line-height:1.25;margin:4px 0 18px;font-weight:600}
/* verdict and run metadata */
.verdict{display:flex;gap:14px;align-items:center;padding:14px 18px;border:1px solid var(--line);border-left:6px solid var(--vc);border-radius:8px;margin:0 0 18px}
.verdict .mark{width:30px;height:30px}.verdict-word{font-size:19px;font-weight:700;letter-spacing:.02em;color:var(--vc)}.verdict-text{color:var(--muted)}
.v-passed{--vc:var(--passed)}.v-failed{--vc:var(--failed)}.v-incomplete{--vc:var(--not_verified)}
dl.meta{display:grid;grid-template-columns:repeat(auto-fill,minmax(250px,1fr));gap:12px 28px;margin:0 0 8px}
dl.meta dt{font-size:11.5px;letter-spacing:.05em;text-transform:uppercase;color:var(--faint);font-weight:600}
dl.meta dd{margin:2px 0 0;overflow-wrap:anywhere}
.alerts{margin:14px 0 0;padding:0;list-style:none}.alerts li{display:flex;gap:8px;align-items:flex-start;padding:6px 10px;border-radius:6px;margin:4px 0}
.alert-failed{background:#ffebe9;color:#82071e}.alert-warning{background:#fff8c5;color:#6c4400}
/* summary */
section.summary,section.blocking{margin:30px 0 0}
h2.sec{font-size:17px;margin:0 0 10px;font-weight:600}
table.phases{width:100%;table-layout:fixed;border-collapse:collapse;font-size:13.5px;font-variant-numeric:tabular-nums}
table.phases col.c-ph{width:30%}table.phases col.c-bar{width:20%}table.phases col.c-n{width:7.5%}table.phases col.c-total{width:5%}
table.phases th,table.phases td{padding:7px 10px;border-bottom:1px solid var(--soft);text-align:right;white-space:nowrap}
table.phases thead th{font-size:11px;line-height:1.3;letter-spacing:.04em;text-transform:uppercase;color:var(--muted);font-weight:600;border-bottom:1px solid var(--line);vertical-align:bottom;white-space:normal;padding-left:4px}
table.phases thead th .mark{display:block;width:13px;height:13px;margin:0 0 4px auto}
table.phases .ph{text-align:left;font-weight:400;white-space:normal}.ph .code{display:inline-block;min-width:44px;font-weight:600;color:var(--fg)}.ph .title{color:var(--muted)}
table.phases td.barcell{padding-right:18px}
table.phases td.z{color:#c4cad1}
table.phases td.nz[data-status=failed]{color:var(--failed);font-weight:700}
table.phases tfoot th,table.phases tfoot td{border-top:1px solid var(--line);border-bottom:none;font-weight:600}
table.phases tr.leaves th,table.phases tr.leaves td{font-weight:400;color:var(--muted)}
.bar{display:flex;height:10px;border-radius:5px;overflow:hidden;background:var(--soft);min-width:140px}
.bar span{display:block;height:100%;min-width:2px}.bar span+span{margin-left:1px}
.b-passed{background:var(--passed)}.b-failed{background:var(--failed)}.b-not_verified{background:#aeb6bf}.b-attested{background:var(--attested)}.b-waived{background:var(--waived)}
.b-not_run{background:repeating-linear-gradient(135deg,#d6dbe0 0 3px,#eef1f4 3px 6px)}
.legend{display:flex;flex-wrap:wrap;gap:6px 18px;margin:12px 0 0;padding:0;list-style:none;color:var(--muted);font-size:12.5px}
.legend li{display:flex;gap:6px;align-items:center}.legend .mark{width:14px;height:14px;vertical-align:0}
ul.blockers{list-style:none;margin:0;padding:0}ul.blockers li{display:flex;gap:8px;align-items:flex-start;padding:4px 0}ul.blockers .mark{margin-top:2px}
ul.blockers a code{font-weight:600;background:none;padding:0;margin-right:6px}ul.blockers .s-failed .why{color:var(--failed)}
/* toolbar */
.toolbar{position:sticky;top:0;z-index:5;display:flex;flex-wrap:wrap;gap:8px 10px;align-items:center;margin:30px -32px 0;padding:10px 32px;background:#fff;border-top:1px solid var(--line);border-bottom:1px solid var(--line)}
.filters{display:inline-flex;border:1px solid var(--line);border-radius:7px;overflow:hidden}
.filters button{font:inherit;font-size:13px;display:flex;gap:6px;align-items:center;border:0;border-left:1px solid var(--line);background:#fff;color:var(--fg);padding:5px 9px;cursor:pointer}
.filters button:first-child{border-left:0}.filters button:hover{background:var(--bg2)}
.filters button[aria-pressed=true]{background:var(--fg);color:#fff}
.filters .count{font-variant-numeric:tabular-nums;color:var(--faint);font-size:12px}.filters button[aria-pressed=true] .count{color:#d1d9e0}
.filters .mark{width:13px;height:13px}
.toolbar input[type=search]{font:inherit;font-size:13px;flex:1 1 150px;max-width:240px;padding:5px 10px;border:1px solid var(--line);border-radius:7px}
.toolbar input[type=search]:focus,.filters button:focus-visible,.tool:focus-visible{outline:2px solid var(--link);outline-offset:1px}
.tool{font:inherit;font-size:12.5px;border:1px solid var(--line);background:#fff;border-radius:7px;padding:4px 10px;cursor:pointer;color:var(--muted)}.tool:hover{background:var(--bg2)}
#shown{margin-left:auto;color:var(--muted);font-size:12.5px;font-variant-numeric:tabular-nums}
#empty{color:var(--muted);padding:18px 0}
/* the checklist */
main.doc{margin-top:8px}
.doc h2{font-size:21px;line-height:1.3;margin:38px 0 10px;padding-bottom:6px;border-bottom:1px solid var(--line);font-weight:600}
.doc h3{font-size:17px;margin:28px 0 6px;font-weight:600}
.doc h4{font-size:14.5px;margin:20px 0 4px;font-weight:600;color:#31373d}
.doc p{margin:6px 0}.doc hr{border:0;border-top:1px solid var(--line);margin:28px 0}
.doc table.md{border-collapse:collapse;margin:8px 0 14px;font-size:13px}
.doc table.md th,.doc table.md td{border:1px solid var(--line);padding:6px 10px;text-align:left;vertical-align:top}
.doc table.md thead th{background:var(--bg2);font-weight:600}
td.st,table.log td:first-child{white-space:nowrap}td.st .mark{margin-right:5px}
p.final{font-size:15px}
ul.items{list-style:none;margin:2px 0 8px;padding:0}
ul.items ul.items{margin:0 0 2px 19px;padding-left:12px;border-left:1px solid var(--soft)}
li.item{scroll-margin-top:70px}
li.item>details>summary{display:flex;gap:8px;align-items:flex-start;padding:5px 8px 5px 4px;border-radius:6px;cursor:pointer;list-style:none}
li.item>details>summary::-webkit-details-marker{display:none}
li.item>details>summary:hover{background:var(--bg2)}
li.item>details>summary .mark{margin-top:2px}
li.item:target>details>summary{background:#fff8c5}
.chev{flex:none;width:7px;height:7px;margin:7px 3px 0 2px;border:solid var(--faint);border-width:0 1.6px 1.6px 0;transform:rotate(-45deg);transition:transform .12s}
details[open]>summary>.chev{transform:rotate(45deg);margin-top:5px}
.body{min-width:0}
.id{font-size:12.5px;font-weight:600;white-space:nowrap;margin-right:8px;color:var(--fg);background:none;padding:0}
.tag{display:inline-block;font-size:11px;line-height:16px;padding:0 6px;margin-left:6px;border:1px solid var(--line);border-radius:9px;color:var(--muted);vertical-align:1px;white-space:nowrap}
.why{display:block;font-size:12.5px;color:var(--muted);margin-top:1px;overflow-wrap:anywhere}
.s-failed>details>summary .why{color:var(--failed)}
.s-waived>details>summary .why{color:#7d4e00}
.s-attested>details>summary .why{color:#6639ba}
/* evidence */
.evidence{margin:2px 0 10px 31px;padding:10px 14px;border:1px solid var(--line);border-radius:8px;background:#fcfcfd;font-size:13px}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:0}
dl.facts dt{color:var(--muted)}dl.facts dd{margin:0;overflow-wrap:anywhere}
.record{margin:8px 0 0;padding:6px 10px;border-radius:6px}.record .lbl{margin-right:10px}.record-waiver{background:#fff8c5}.record-attestation{background:#fbefff}.record-expired{background:#ffebe9}
table.figures{border-collapse:collapse;margin:10px 0 2px;font-size:12.5px;font-variant-numeric:tabular-nums}
table.figures th,table.figures td{padding:3px 12px 3px 0;border-bottom:1px solid var(--soft);text-align:left}table.figures th{color:var(--muted);font-weight:600;font-size:11.5px}
table.figures .num{text-align:right}table.figures .by{color:var(--muted)}.tag-bad{color:var(--failed);border-color:#ffcecb;background:#ffebe9}
ol.tests{list-style:none;margin:10px 0 0;padding:0}
li.test{padding:8px 0 6px;border-top:1px solid var(--soft)}
.test-head{display:flex;gap:8px;align-items:flex-start}.test-head .mark{width:14px;height:14px;margin-top:2px}
.test-title{font-weight:500}
.meta{display:block;color:var(--muted);font-size:12px}
.msg{margin:6px 0 0 22px;padding:6px 10px;border-radius:4px;white-space:pre-wrap;overflow-wrap:anywhere;font-size:12.5px}
.msg-failed{background:#ffebe9;border-left:3px solid var(--failed);color:#82071e;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.msg-skipped{background:var(--bg2);border-left:3px solid #aeb6bf;color:var(--muted)}
ul.notes{list-style:none;margin:6px 0 0 22px;padding:0}ul.notes li{margin:2px 0;display:flex;gap:8px}
.lbl{display:inline-block;flex:none;min-width:72px;font-size:10.5px;line-height:19px;letter-spacing:.05em;text-transform:uppercase;color:var(--faint);font-weight:700}
.n-warning .lbl{color:#9a6700}
.atts{margin:8px 0 0 22px}
.thumbs{display:flex;flex-wrap:wrap;gap:10px;margin:4px 0}
.thumb{display:block;font-size:12px;color:var(--muted)}.thumb img{display:block;max-width:260px;max-height:160px;border:1px solid var(--line);border-radius:4px;margin-bottom:2px;background:#fff}
details.att{margin:3px 0}details.att>summary{cursor:pointer;color:var(--link);font-size:12.5px}
details.att>summary .meta{display:inline;margin-left:6px}
details.att pre{max-height:420px;white-space:pre-wrap;overflow-wrap:anywhere}
.files{font-size:12.5px;color:var(--muted);margin-top:4px}.files a{margin-right:14px}
footer{margin-top:48px;padding-top:12px;border-top:1px solid var(--line);color:var(--muted);font-size:12px}
@media screen{
  li.item>details:not([open])>summary .why{display:-webkit-box;-webkit-box-orient:vertical;-webkit-line-clamp:3;overflow:hidden}
  body.filtering .doc>:not(h1,h2,h3,h4,h5,h6,ul.items){display:none}
  body.filtering .doc>.off,li.item.off{display:none}
  li.item.ctx>details>summary{opacity:.5}
  li.item.ctx>details>.evidence{display:none}
}
@media screen and (max-width:760px){.page{padding:18px 14px 48px}.toolbar{margin:24px -14px 0;padding:8px 14px}table.phases td.barcell{display:none}}
@media print{
  @page{size:A4;margin:14mm 13mm 15mm}
  *{-webkit-print-color-adjust:exact;print-color-adjust:exact}
  body{font-size:9.5pt;line-height:1.4}
  .page{max-width:none;padding:0}
  .toolbar,#empty,.chev,.atts,dl.facts,.no-print{display:none!important}
  a{color:inherit}
  h1{font-size:18pt}
  .verdict,section.summary,section.blocking,dl.meta,li.test,.record{break-inside:avoid}
  .doc .phase-start,.doc h2:has(+ .phase-start){break-before:page}
  .doc h2+.phase-start{break-before:auto}
  .doc h2,.doc h3,.doc h4{break-after:avoid}
  .doc pre{white-space:pre-wrap;break-inside:avoid}
  li.item>details>summary{padding:1.5px 0;break-inside:avoid}
  li.item[data-ev]:is(.s-failed,.s-waived)>details::details-content{content-visibility:visible;display:block}
  .evidence{margin:1px 0 5px 24px;padding:4px 8px;background:none}
  main.doc{margin-top:16pt;padding-top:2pt;border-top:1px solid var(--line)}
  table.phases col.c-ph{width:27%}table.phases col.c-bar{width:16%}table.phases col.c-n{width:8.5%}table.phases col.c-total{width:6%}
  table.phases th,table.phases td{padding:4px 5px}table.phases thead th{font-size:6.5pt;letter-spacing:0;padding:3px 4px}
  footer{margin-top:18pt}
}
`;

/**
 * Filters by status, search by ID or text (items keep their ancestors as dimmed context; headings without a
 * visible item below them hide), expand/collapse, reveal of `#ID` links, and print: failed and waived items
 * open with their evidence, whatever the filter (the print stylesheet ignores it).
 */
export const SCRIPT = `
(function () {
  'use strict';
  var doc = document.querySelector('main.doc');
  var items = Array.prototype.slice.call(doc.querySelectorAll('li.item'));
  var buttons = Array.prototype.slice.call(document.querySelectorAll('button[data-filter]'));
  var search = document.getElementById('search');
  var shown = document.getElementById('shown');
  var empty = document.getElementById('empty');
  var state = { filter: 'all', query: '' };

  function matches(li) {
    if (state.filter !== 'all' && li.getAttribute('data-status') !== state.filter) return false;
    return state.query === '' || li.getAttribute('data-search').indexOf(state.query) !== -1;
  }

  function apply() {
    var active = state.filter !== 'all' || state.query !== '';
    document.body.classList.toggle('filtering', active);
    var hits = 0;
    for (var i = items.length - 1; i >= 0; i--) {
      var li = items[i];
      var hit = active && matches(li);
      var ctx = active && !hit && li.querySelector(':scope > ul > li.item:not(.off)') !== null;
      li.classList.toggle('hit', hit);
      li.classList.toggle('ctx', ctx);
      li.classList.toggle('off', active && !hit && !ctx);
      if (hit) hits++;
    }
    var open = [];
    Array.prototype.forEach.call(doc.children, function (el) {
      var h = /^H([1-6])$/.exec(el.tagName);
      if (h) {
        while (open.length && open[open.length - 1].level >= +h[1]) open.pop();
        open.push({ el: el, level: +h[1] });
        el.classList.toggle('off', active);
      } else if (active && el.matches('ul.items') && el.querySelector(':scope > li.item:not(.off)')) {
        open.forEach(function (o) { o.el.classList.remove('off'); });
      }
    });
    buttons.forEach(function (b) { b.setAttribute('aria-pressed', String(b.getAttribute('data-filter') === state.filter)); });
    shown.textContent = active ? hits + ' of ' + items.length + ' items' : items.length + ' items';
    empty.hidden = !active || hits > 0;
  }

  buttons.forEach(function (b) {
    b.addEventListener('click', function () { state.filter = b.getAttribute('data-filter'); apply(); });
  });
  search.addEventListener('input', function () { state.query = search.value.trim().toLowerCase(); apply(); });
  search.addEventListener('keydown', function (e) {
    if (e.key === 'Escape') { search.value = ''; state.query = ''; apply(); }
  });
  document.addEventListener('keydown', function (e) {
    if (e.key === '/' && document.activeElement !== search) { e.preventDefault(); search.focus(); }
  });
  function setAll(open) {
    items.forEach(function (li) { var d = li.querySelector(':scope > details'); if (d) d.open = open; });
  }
  document.getElementById('expand').addEventListener('click', function () { setAll(true); });
  document.getElementById('collapse').addEventListener('click', function () { setAll(false); });

  function reveal() {
    var id = decodeURIComponent(location.hash.slice(1));
    var li = id ? document.getElementById(id) : null;
    if (!li || !li.classList.contains('item')) return;
    if (li.classList.contains('off') || li.closest('li.item.off')) {
      state.filter = 'all'; state.query = ''; search.value = ''; apply();
    }
    var d = li.querySelector(':scope > details');
    if (d) d.open = true;
    li.scrollIntoView({ block: 'start' });
  }
  window.addEventListener('hashchange', reveal);

  var openedForPrint = [];
  window.addEventListener('beforeprint', function () {
    openedForPrint = Array.prototype.slice.call(doc.querySelectorAll('li.item[data-ev]:is(.s-failed, .s-waived) > details:not([open])'));
    openedForPrint.forEach(function (d) { d.open = true; });
  });
  window.addEventListener('afterprint', function () {
    openedForPrint.forEach(function (d) { d.open = false; });
    openedForPrint = [];
  });

  // The customer's emoji, repaired, need an emoji font; where the browser has none they would be empty boxes: hide them.
  var drawn = {};
  function draw(text) {
    var c = document.createElement('canvas');
    c.width = 32; c.height = 32;
    var g = c.getContext('2d');
    if (!g) return '';
    g.font = '24px ' + getComputedStyle(document.body).fontFamily;
    g.textBaseline = 'top';
    g.fillText(text, 2, 2);
    return Array.prototype.join.call(g.getImageData(0, 0, 32, 32).data, '');
  }
  var missing = draw('\uDB3F\uDFFD');
  Array.prototype.forEach.call(document.querySelectorAll('.glyph'), function (el) {
    var t = el.textContent;
    if (!(t in drawn)) drawn[t] = draw(t) === missing;
    el.classList.toggle('missing', drawn[t]);
  });

  apply();
  reveal();
})();
`;
