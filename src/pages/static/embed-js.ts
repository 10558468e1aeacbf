/**
 * The member page's only script, served from /pages/assets/ (the page's CSP allows scripts from
 * this server alone, none inline). The page works without it: "load more" and the range buttons
 * are links. With it, more rows are appended in place, the trend is drawn with uPlot, and a live
 * badge appears when a new visitor arrives. Written for browsers as they are (no build step).
 */
export const EMBED_JS = String.raw`(function () {
  'use strict';
  var status = document.getElementById('status');
  function say(text) { if (status) { status.textContent = text; } }

  // "Load more": fetch the next rows as HTML written by the server (escaped there), append them.
  var more = document.getElementById('more');
  var list = document.getElementById('viewers');
  if (more && list) {
    more.addEventListener('click', function (event) {
      var src = more.getAttribute('data-rows');
      if (!src) { return; }
      event.preventDefault();
      more.setAttribute('aria-busy', 'true');
      fetch(src, { credentials: 'omit', headers: { accept: 'text/html' } }).then(function (res) {
        if (!res.ok) { throw new Error('HTTP ' + res.status); }
        var nextRows = res.headers.get('x-next-rows');
        var nextPage = res.headers.get('x-next-page');
        return res.text().then(function (body) {
          var before = list.children.length;
          list.insertAdjacentHTML('beforeend', body);
          var added = list.children.length - before;
          var first = list.children[before];
          if (first) { first.setAttribute('tabindex', '-1'); first.focus(); }
          say(added + ' more viewers loaded');
          if (nextRows && nextPage) {
            more.setAttribute('data-rows', nextRows);
            more.setAttribute('href', nextPage);
            more.removeAttribute('aria-busy');
          } else {
            more.parentNode.removeChild(more);
          }
        });
      }).catch(function () {
        more.removeAttribute('aria-busy');
        say('Could not load more viewers. Try again.');
      });
    });
  }

  // The views trend: the server put the points in a JSON script element (not executed) and a
  // table; uPlot draws them when it is loaded.
  var chartBox = document.getElementById('trend-chart');
  var pointsEl = document.getElementById('trend-points');
  var chart = null;
  function cssVar(name, fallback) {
    var v = getComputedStyle(document.documentElement).getPropertyValue(name);
    return v ? v.trim() : fallback;
  }
  function draw(points) {
    if (!chartBox || typeof window.uPlot !== 'function') { return; }
    var width = Math.max(260, chartBox.clientWidth - 12);
    var opts = {
      width: width,
      height: 200,
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: function (u, min, max) { return [0, Math.max(1, max)]; } } },
      axes: [
        { stroke: cssVar('--muted', '#666'), grid: { stroke: cssVar('--line', '#ddd') } },
        { stroke: cssVar('--muted', '#666'), grid: { stroke: cssVar('--line', '#ddd') }, size: 40 }
      ],
      series: [{}, { label: 'Views', stroke: cssVar('--accent', '#0a66c2'), width: 2, fill: 'rgba(127,127,127,0.12)', points: { show: points.length <= 31 } }]
    };
    var data = [points.map(function (p) { return p[0]; }), points.map(function (p) { return p[1]; })];
    if (chart) { chart.destroy(); }
    chart = new window.uPlot(opts, data, chartBox);
    // What was drawn, for people inspecting the page and for the tests.
    chartBox.setAttribute('data-drawn', String(points.length));
    if (pointsEl) { pointsEl.textContent = JSON.stringify(points); }
  }
  if (pointsEl && chartBox) {
    try { draw(JSON.parse(pointsEl.textContent || '[]')); } catch (e) { /* the table below stays */ }
    var ranges = document.querySelectorAll('.ranges a[data-src]');
    Array.prototype.forEach.call(ranges, function (a) {
      a.addEventListener('click', function (event) {
        event.preventDefault();
        fetch(a.getAttribute('data-src'), { credentials: 'omit' }).then(function (res) {
          if (!res.ok) { throw new Error('HTTP ' + res.status); }
          return res.json();
        }).then(function (body) {
          Array.prototype.forEach.call(ranges, function (b) { b.setAttribute('aria-current', b === a ? 'true' : 'false'); });
          var caption = document.getElementById('trend-caption');
          if (caption && body.caption) { caption.textContent = body.caption; }
          draw(body.points);
          say('Showing ' + body.caption);
        }).catch(function () { say('Could not load that range. Try again.'); });
      });
    });
    window.addEventListener('resize', function () { if (chart) { chart.setSize({ width: Math.max(260, chartBox.clientWidth - 12), height: 200 }); } });
  }

  // The live badge: the server's live feed for this member, when the page offers one.
  var live = document.getElementById('live');
  if (live && typeof window.EventSource === 'function' && live.getAttribute('data-src')) {
    var source = new EventSource(live.getAttribute('data-src'));
    var seen = 0;
    source.addEventListener('visit', function () {
      seen += 1;
      live.hidden = false;
      live.textContent = seen === 1 ? 'New visitor' : seen + ' new visitors';
      say(live.textContent + '. Reload to see them.');
    });
    source.onerror = function () { /* EventSource retries on its own */ };
  }
})();
`;
