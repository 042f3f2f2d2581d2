// ipw HTML report renderer. All numbers arrive pre-computed in #ipw-data (the
// C++ side does the statistics); this file only lays out tables and draws
// charts with ECharts (SVG renderer, no animation: the page is final when the
// load event fires, which headless tests and printing rely on).
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('ipw-data').textContent);
  var charts = [];
  var COLORS = { prefill: 'rgba(245, 166, 35, 0.22)', decode: 'rgba(47, 111, 223, 0.13)', error: 'rgba(214, 39, 40, 0.25)' };

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { if (k === 'text') e.textContent = attrs[k]; else e.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) { if (c) e.appendChild(c); });
    return e;
  }
  function fmt(v, digits) {
    if (v === null || v === undefined || (typeof v === 'number' && !isFinite(v))) return 'n/a';
    if (typeof v !== 'number') return String(v);
    var a = Math.abs(v);
    if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential((digits || 4) - 1);
    return Number(v.toPrecision(digits || 4)).toString();
  }
  function pct(v) { return v === null || v === undefined ? 'n/a' : (100 * v).toFixed(1) + '%'; }
  function ci(c) { return c ? '[' + fmt(c[0]) + ', ' + fmt(c[1]) + ']' : ''; }
  function provenance(source) {
    var names = { counter: 'measured: hardware energy counters', integrated: 'measured: integrated power samples',
                  estimated: 'ESTIMATED: utilisation model, not measured', none: 'no energy data' };
    return el('span', { 'class': 'prov ' + (source === 'estimated' ? 'estimated' : source === 'none' ? 'none' : ''),
                        text: names[source] || source });
  }
  // A figure: a chart box plus a caption that always states provenance and units.
  function figure(parent, id, cls, caption, source) {
    var box = el('div', { 'class': 'figure' });
    var div = el('div', { id: id, 'class': 'chart ' + (cls || '') });
    var cap = el('p', { 'class': 'caption' });
    if (source) cap.appendChild(provenance(source));
    cap.appendChild(document.createTextNode(caption));
    box.appendChild(div);
    box.appendChild(cap);
    parent.appendChild(box);
    return div;
  }
  function draw(div, option, title) {
    option.animation = false;
    // Title on the left, legend on the right: they never overlap.
    if (option.title) { option.title.left = 8; option.title.top = 2; }
    if (option.legend) { option.legend.right = 8; option.legend.left = 'auto'; option.legend.top = 2; }
    option.textStyle = { fontFamily: 'system-ui, sans-serif' };
    var chart = echarts.init(div, null, { renderer: 'svg' });
    chart.setOption(option);
    charts.push({ id: div.id, title: title, chart: chart });
  }
  function table(headers, rows, rowClass) {
    var t = el('table');
    t.appendChild(el('tr', {}, headers.map(function (h) { return el('th', { text: h }); })));
    rows.forEach(function (r, i) {
      var tr = el('tr', rowClass ? { 'class': rowClass(i) } : {}, r.map(function (c, j) {
        return el('td', j === 0 ? { 'class': 'l', text: c } : { text: c });
      }));
      t.appendChild(tr);
    });
    return t;
  }
  function card(k, v, s) {
    return el('div', { 'class': 'card' }, [el('div', { 'class': 'k', text: k }), el('div', { 'class': 'v', text: v }),
                                           el('div', { 'class': 's', text: s || '' })]);
  }
  // Vertical error bars [x, lo, hi] on a category or value axis.
  function errorBars(name, points, yAxisIndex) {
    return { type: 'custom', name: name, yAxisIndex: yAxisIndex || 0, data: points, z: 10, silent: true,
      renderItem: function (params, api) {
        var lo = api.coord([api.value(0), api.value(1)]), hi = api.coord([api.value(0), api.value(2)]);
        var w = 5, style = { stroke: '#333', lineWidth: 1.2 };
        return { type: 'group', children: [
          { type: 'line', shape: { x1: lo[0], y1: lo[1], x2: hi[0], y2: hi[1] }, style: style },
          { type: 'line', shape: { x1: lo[0] - w, y1: lo[1], x2: lo[0] + w, y2: lo[1] }, style: style },
          { type: 'line', shape: { x1: hi[0] - w, y1: hi[1], x2: hi[0] + w, y2: hi[1] }, style: style }] };
      } };
  }

  // ---------------- one run ----------------
  // Each section is attached before anything is drawn so charts measure their real width.
  function runSection(parent, run, idx) {
    var s = run.summary, a = run.analysis, f = run.figures, src = s.energy_source;
    var sec = parent.appendChild(el('section', { id: 'run-' + idx }));
    sec.appendChild(el('h2', { text: run.label }));
    var meta = el('p', { 'class': 'meta' });
    meta.appendChild(provenance(src));
    meta.appendChild(document.createTextNode('domains: ' + (run.domains.join(' + ') || 'none') + ' · run: ' + run.dir +
      ' · workload: ' + (run.workload || 'n/a')));
    sec.appendChild(meta);
    var est = src === 'estimated' ? ' (estimated)' : '';
    sec.appendChild(el('div', { 'class': 'cards' }, [
      card('accuracy', fmt(s.accuracy, 3), s.accuracy_ci95 ? '95% CI ' + ci(s.accuracy_ci95) + ' Wilson' : ''),
      card('IPW (1/W)' + est, fmt(s.ipw), a.ci95.ipw ? '95% CI ' + ci(a.ci95.ipw) + ' bootstrap' : ''),
      card('IPJ (1/J)' + est, fmt(s.ipj), a.ci95.ipj ? '95% CI ' + ci(a.ci95.ipj) + ' bootstrap' : ''),
      card('energy / query (J)' + est, fmt(s.mean_energy_j), 'net of idle ' + fmt(s.mean_net_energy_j) + ' J'),
      card('power / query (W)' + est, fmt(s.mean_power_w), 'idle baseline ' + fmt(run.idle_power_w) + ' W'),
      card('queries', String(s.queries), s.errors + ' errors · ' + s.scored + ' scored' +
           (s.failed_energy_j !== null ? ' · ' + fmt(s.failed_energy_j) + ' J on failed queries' : '')),
      card('latency p50 (s)', fmt(s.latency_s.p50), 'p90 ' + fmt(s.latency_s.p90) + ' · p99 ' + fmt(s.latency_s.p99)),
      card('J / output token' + est, fmt(s.j_per_output_token), fmt(s.output_tokens_per_s) + ' output tokens/s')]));
    // Thinking models and truncation (docs/analysis.md, "Reasoning and truncation"): only when the run has them.
    var extra = [];
    if (s.reasoning_queries > 0) {
      extra.push(card('reasoning share', pct(s.reasoning_token_share) + ' of tokens',
                      pct(s.reasoning_energy_share) + ' of decode energy · IPJ were thinking free ' +
                      fmt(s.ipj_without_reasoning)));
    }
    if (s.truncated > 0) {
      extra.push(card('truncated (length)', pct(s.truncated_share),
                      s.truncated + ' of ' + s.finish_known + ' replies hit the token limit'));
    }
    if (extra.length) sec.appendChild(el('div', { 'class': 'cards' }, extra));

    // Power timeline with query phases.
    var tl = f.timeline;
    var areas = tl.phases.map(function (p) { return [{ xAxis: p[0], itemStyle: { color: COLORS[p[2]] } }, { xAxis: p[1] }]; });
    var lines = tl.query_starts.map(function (t) { return { xAxis: t }; });
    var mark = [];
    if (run.idle_power_w !== null) mark.push({ yAxis: run.idle_power_w, name: 'idle', lineStyle: { color: '#888', type: 'dotted' },
                                               label: { position: 'insideEndTop', formatter: 'idle ' + fmt(run.idle_power_w) + ' W' } });
    var timelineDiv = figure(sec, 'timeline-' + idx, 'tall',
      ' Power summed over ' + (tl.domains.join(' + ') || 'no domain') + ' (W) against time since the first sample (s), ' +
      'averaged over ' + fmt(tl.bucket_s, 3) + ' s buckets. Shading: prefill (orange), decode (blue), failed query (red)' +
      (tl.phases_exact ? '; grey lines mark each query start.' : ', by dominant phase per bucket (too many queries to draw each).') +
      (tl.skipped_intervals ? ' ' + tl.skipped_intervals + ' sample intervals dropped (counter reset).' : ''), src);
    draw(timelineDiv, {
      title: { text: 'Power timeline', left: 'center', textStyle: { fontSize: 13 } },
      tooltip: { trigger: 'axis', valueFormatter: function (v) { return fmt(v) + ' W'; } },
      legend: { top: 22, data: ['power', 'prefill', 'decode'] },
      grid: { left: 60, right: 24, top: 56, bottom: 70 },
      xAxis: { type: 'value', name: 'time (s)', nameLocation: 'middle', nameGap: 26 },
      yAxis: { type: 'value', name: 'power (W)' },
      dataZoom: [{ type: 'inside' }, { type: 'slider', height: 16, bottom: 8 }],
      series: [
        { name: 'power', type: 'line', showSymbol: false, data: tl.power_w, lineStyle: { width: 1.2 }, sampling: 'lttb',
          markArea: { silent: true, data: areas },
          markLine: { silent: true, symbol: 'none', data: lines.map(function (l) { return Object.assign(l, { lineStyle: { color: '#ccc', width: 0.6 }, label: { show: false } }); })
                      .concat(tl.session_starts.map(function (t) { return { xAxis: t, lineStyle: { color: '#555', type: 'dashed' }, label: { formatter: 'resume' } }; }))
                      .concat(mark) } },
        { name: 'prefill', type: 'line', data: [], itemStyle: { color: 'rgba(245, 166, 35, 0.8)' } },
        { name: 'decode', type: 'line', data: [], itemStyle: { color: 'rgba(47, 111, 223, 0.6)' } }]
    }, 'power timeline');

    var g2 = el('div', { 'class': 'grid2' });
    sec.appendChild(g2);
    // Energy vs tokens with the fitted model.
    var pts = f.scatter.points, m = a.energy_model;
    var groups = { 1: [], 0: [], '-1': [] }, meanIn = 0, maxOut = 0;
    pts.forEach(function (p) { groups[p[3]].push([p[1], p[2], p[0]]); meanIn += p[0]; maxOut = Math.max(maxOut, p[1]); });
    meanIn = pts.length ? meanIn / pts.length : 0;
    var fit = [];
    if (m) for (var i = 0; i <= 20; i++) { var o = maxOut * i / 20; fit.push([o, m.a_j + m.b_j_per_input_token * meanIn + m.c_j_per_output_token * o]); }
    var fitText = m ? 'fit: E = ' + fmt(m.a_j) + ' J + ' + fmt(m.b_j_per_input_token) + ' J/in-token · in + ' + fmt(m.c_j_per_output_token) +
                      ' J/out-token · out, R² = ' + fmt(m.r2, 3) + ' (n = ' + m.n + '), drawn at mean input ' + fmt(meanIn, 3) + ' tokens'
                    : 'no energy model (needs ≥ 3 queries with energy and varying token counts)';
    draw(figure(g2, 'scatter-' + idx, '', ' Energy per query (J) against output tokens; ' + fitText + '. ' +
                (f.scatter.stride > 1 ? 'Every ' + f.scatter.stride + 'th of ' + f.scatter.queries + ' queries shown.' : ''), src), {
      title: { text: 'Energy vs tokens', left: 'center', textStyle: { fontSize: 13 } },
      tooltip: { trigger: 'item', formatter: function (p) { return p.seriesName + '<br>' + fmt(p.value[0]) + ' out tokens, ' + fmt(p.value[1]) + ' J'; } },
      legend: { top: 22 }, grid: { left: 60, right: 20, top: 56, bottom: 44 },
      xAxis: { type: 'value', name: 'output tokens', nameLocation: 'middle', nameGap: 26 },
      yAxis: { type: 'value', name: 'energy (J)' },
      series: [
        { name: 'correct', type: 'scatter', symbolSize: 4, data: groups[1], itemStyle: { color: '#2a9d55', opacity: 0.6 } },
        { name: 'wrong', type: 'scatter', symbolSize: 4, data: groups[0], itemStyle: { color: '#d62728', opacity: 0.6 } },
        { name: 'unscored', type: 'scatter', symbolSize: 4, data: groups['-1'], itemStyle: { color: '#999', opacity: 0.6 } },
        { name: 'model fit', type: 'line', showSymbol: false, data: fit, lineStyle: { color: '#111', width: 2 } }]
    }, 'energy vs tokens');

    // Per-category accuracy (Wilson CI) and energy.
    var cats = a.by_category;
    draw(figure(g2, 'category-' + idx, '', ' Accuracy per category (bars, with 95% Wilson intervals) and mean energy per query (J, line, right axis).', src), {
      title: { text: 'By category', left: 'center', textStyle: { fontSize: 13 } },
      tooltip: { trigger: 'axis' }, legend: { top: 22, data: ['accuracy', 'energy (J)'] },
      grid: { left: 50, right: 56, top: 56, bottom: 80 },
      xAxis: { type: 'category', data: cats.map(function (c) { return c.key; }), axisLabel: { interval: 0, rotate: cats.length > 4 ? 30 : 0, fontSize: 10 } },
      yAxis: [{ type: 'value', name: 'accuracy', min: 0, max: 1 }, { type: 'value', name: 'energy (J)' }],
      series: [
        { name: 'accuracy', type: 'bar', data: cats.map(function (c) { return c.accuracy; }), itemStyle: { color: '#5b8def' } },
        errorBars('95% CI', cats.filter(function (c) { return c.accuracy_ci95; }).map(function (c) { return [c.key, c.accuracy_ci95[0], c.accuracy_ci95[1]]; })),
        { name: 'energy (J)', type: 'line', yAxisIndex: 1, data: cats.map(function (c) { return c.mean_energy_j; }), itemStyle: { color: '#f08c2e' } }]
    }, 'per-category');

    // Latency distributions.
    var g3 = el('div', { 'class': 'grid3' });
    sec.appendChild(g3);
    [['ttft_ms', 'Time to first token', 'ms'], ['tpot_ms', 'Time per output token', 'ms'], ['latency_s', 'End-to-end latency', 's']].forEach(function (h) {
      var hist = f.histograms[h[0]];
      var centres = [];
      for (var b = 0; b + 1 < hist.edges.length; b++) centres.push(fmt((hist.edges[b] + hist.edges[b + 1]) / 2, 3));
      draw(figure(g3, h[0] + '-' + idx, 'short', ' ' + h[1] + ' (' + h[2] + '), ' + hist.n + ' successful queries; bins up to the 99th percentile' +
                  (hist.clipped ? ', ' + hist.clipped + ' slower in the last bin' : '') + '. Timing: monotonic clock, measured.', null), {
        title: { text: h[1], left: 'center', textStyle: { fontSize: 13 } },
        tooltip: { trigger: 'axis' }, grid: { left: 44, right: 12, top: 50, bottom: 40 },
        xAxis: { type: 'category', data: centres, name: h[2], nameLocation: 'middle', nameGap: 26 },
        yAxis: { type: 'value', name: 'queries' },
        series: [{ type: 'bar', data: hist.counts, barCategoryGap: '5%', itemStyle: { color: '#7c8db5' } }]
      }, h[1]);
    });

    if (run.stages && run.stages.length >= 2) stagesSection(sec, run, idx, src, est);

    // Detail tables.
    var t = a.trimmed;
    sec.appendChild(el('h3', { text: 'IPW family' + est }));
    sec.appendChild(table(['metric', 'value', '95% CI (bootstrap, ' + a.ci95.replicates + ' replicates)', (100 * t.proportion) + '%-trimmed'], [
      ['IPW (1/W)', fmt(s.ipw), ci(a.ci95.ipw), fmt(t.ipw)], ['IPJ (1/J)', fmt(s.ipj), ci(a.ci95.ipj), fmt(t.ipj)],
      ['IPW net of idle (1/W)', fmt(s.ipw_net), ci(a.ci95.ipw_net), fmt(t.ipw_net)],
      ['IPJ net of idle (1/J)', fmt(s.ipj_net), ci(a.ci95.ipj_net), fmt(t.ipj_net)]]));
    sec.appendChild(el('h3', { text: 'By category and source' + est }));
    [['category', a.by_category], ['source', a.by_source]].forEach(function (grp) {
      sec.appendChild(table([grp[0], 'queries', 'errors', 'accuracy', '95% CI (Wilson)', 'energy (J)', 'power (W)', 'IPW (1/W)', 'IPJ (1/J)'],
        grp[1].map(function (g) { return [g.key, String(g.queries), String(g.errors), fmt(g.accuracy, 3), ci(g.accuracy_ci95), fmt(g.mean_energy_j),
                                          fmt(g.mean_power_w), fmt(g.ipw), fmt(g.ipj)]; })));
    });
  }

  // A sweep's stages (docs/load.md): J per output token and IPJ against the swept
  // setting, and energy per query against p90 latency, one point per stage.
  function stagesSection(sec, run, idx, src, est) {
    var st = run.stages;
    var key = st.every(function (s) { return s.setting.concurrency !== undefined; }) ? 'concurrency'
            : st.every(function (s) { return s.setting.rate !== undefined; }) ? 'rate' : null;
    var xOf = function (s) { return key ? s.setting[key] : s.stage; };
    var xName = key === 'rate' ? 'arrival rate (requests/s)' : key ? 'concurrency (queries in flight)' : 'stage';
    sec.appendChild(el('h3', { text: 'Load stages' + est }));
    var g2 = el('div', { 'class': 'grid2' });
    sec.appendChild(g2);
    var goodput = st.some(function (s) { return s.goodput_ipj !== null; });
    var series = [
      { name: 'J / output token', type: 'line', data: st.map(function (s) { return [xOf(s), s.j_per_output_token]; }), itemStyle: { color: '#f08c2e' } },
      { name: 'IPJ (1/J)', type: 'line', yAxisIndex: 1, data: st.map(function (s) { return [xOf(s), s.queries.ipj]; }), itemStyle: { color: '#2f6fdf' } }];
    if (goodput) series.push({ name: 'goodput IPJ', type: 'line', yAxisIndex: 1, lineStyle: { type: 'dashed' },
                               data: st.map(function (s) { return [xOf(s), s.goodput_ipj]; }), itemStyle: { color: '#3aa35b' } });
    var sat = run.saturation ? ' Stage ' + run.saturation.stage + ' saturated the server (throughput ' +
              fmt(100 * run.saturation.throughput_gain, 2) + '%, p50 latency +' + fmt(100 * run.saturation.p50_latency_growth, 2) + '%).' : '';
    draw(figure(g2, 'stages-' + idx, '', ' J per output token (stage energy / its output tokens: independent of how overlapping queries ' +
                'share energy) and IPJ (ratio of means over the stage\'s queries: depends on the sharing rule, "' + st[0].attribution + '").' + sat, src), {
      title: { text: 'J/token and IPJ by ' + (key || 'stage'), textStyle: { fontSize: 13 } },
      legend: {}, tooltip: { trigger: 'axis' }, grid: { left: 60, right: 60, top: 50, bottom: 44 },
      xAxis: { type: key ? 'log' : 'value', name: xName, nameLocation: 'middle', nameGap: 28, logBase: 2 },
      yAxis: [{ type: 'value', name: 'J / token' }, { type: 'value', name: 'IPJ (1/J)' }],
      series: series
    }, 'stages');
    draw(figure(g2, 'stage-latency-' + idx, '', ' Mean energy per query against the stage\'s p90 end-to-end latency, one point per stage, ' +
                'labelled with its ' + (key || 'stage') + ': what lower energy costs in tail latency.', src), {
      title: { text: 'Energy per query vs p90 latency', textStyle: { fontSize: 13 } },
      tooltip: { trigger: 'item', formatter: function (p) { return p.data.name + '<br>' + fmt(p.data.value[0]) + ' s p90, ' + fmt(p.data.value[1]) + ' J'; } },
      grid: { left: 60, right: 30, top: 50, bottom: 44 },
      xAxis: { type: 'value', name: 'p90 end-to-end latency (s)', nameLocation: 'middle', nameGap: 28, scale: true },
      yAxis: { type: 'value', name: 'J / query', scale: true },
      series: [{ type: 'line', symbolSize: 9, label: { show: true, position: 'top', fontSize: 10, formatter: function (p) { return p.data.name; } },
                 data: st.filter(function (s) { return s.queries.latency_s.p90 !== null && s.queries.mean_energy_j !== null; })
                         .map(function (s) { return { name: (key ? key + ' ' : 'stage ') + xOf(s), value: [s.queries.latency_s.p90, s.queries.mean_energy_j] }; }),
                 itemStyle: { color: '#5b8def' } }]
    }, 'stage latency');
    sec.appendChild(table(['stage', 'setting', 'in flight', 'out tok/s', 'energy (J)', 'J / out tok', 'E2E p90 (s)', 'accuracy', 'IPJ (1/J)', 'within SLO', 'goodput IPJ'],
      st.map(function (s) { return [String(s.stage), JSON.stringify(s.setting), fmt(s.mean_in_flight), fmt(s.output_tokens_per_s), fmt(s.energy_j),
                                    fmt(s.j_per_output_token), fmt(s.queries.latency_s.p90), fmt(s.queries.accuracy, 3), fmt(s.queries.ipj),
                                    pct(s.slo_attainment), fmt(s.goodput_ipj)]; })));
  }

  // ---------------- several runs ----------------
  function comparisonSection(parent, c) {
    var sec = parent.appendChild(el('section', { id: 'comparison' }));
    sec.appendChild(el('h2', { text: 'Comparison of ' + c.leaderboard.length + ' runs' }));
    var sources = {};
    c.leaderboard.forEach(function (r) { sources[r.energy_source] = true; });
    var src = sources.estimated ? 'estimated' : Object.keys(sources)[0];
    sec.appendChild(el('h3', { text: 'Leaderboard (sorted by ' + c.sort_key + '; ★ = on the accuracy-vs-energy Pareto frontier)' }));
    sec.appendChild(table(['run', 'energy', 'queries', 'accuracy', 'IPW (1/W)', 'IPW 95% CI', 'IPJ (1/J)', 'IPJ 95% CI', 'energy/query (J)', 'power (W)', 'p50 latency (s)'],
      c.leaderboard.map(function (r) { return [r.label, r.energy_source, String(r.queries), fmt(r.accuracy, 3), fmt(r.ipw), ci(r.ipw_ci95), fmt(r.ipj), ci(r.ipj_ci95),
                                               fmt(r.mean_energy_j), fmt(r.mean_power_w), fmt(r.latency_p50_s, 3)]; }),
      function (i) { return c.leaderboard[i].pareto ? 'frontier' : ''; }));
    var g2 = el('div', { 'class': 'grid2' });
    sec.appendChild(g2);
    var front = c.leaderboard.filter(function (r) { return r.pareto && r.mean_energy_j !== null; })
                 .sort(function (x, y) { return x.mean_energy_j - y.mean_energy_j; });
    draw(figure(g2, 'pareto', 'tall', ' Accuracy against mean energy per query (J, log scale); the line joins the Pareto frontier (no run is both more accurate and cheaper).', src), {
      title: { text: 'Accuracy vs energy', left: 'center', textStyle: { fontSize: 13 } },
      tooltip: { trigger: 'item', formatter: function (p) { return p.data.name + '<br>' + fmt(p.data.value[0]) + ' J, accuracy ' + fmt(p.data.value[1], 3); } },
      grid: { left: 56, right: 24, top: 40, bottom: 44 },
      xAxis: { type: 'log', name: 'energy per query (J)', nameLocation: 'middle', nameGap: 26 },
      yAxis: { type: 'value', name: 'accuracy', min: 0, max: 1 },
      series: [
        { name: 'runs', type: 'scatter', symbolSize: 10, label: { show: c.leaderboard.length <= 12, position: 'right', fontSize: 10, formatter: function (p) { return p.data.name; } },
          data: c.leaderboard.filter(function (r) { return r.mean_energy_j && r.accuracy !== null; })
                 .map(function (r) { return { name: r.label, value: [r.mean_energy_j, r.accuracy], itemStyle: { color: r.pareto ? '#2f6fdf' : '#9aa4b8' } }; }) },
        { name: 'frontier', type: 'line', step: 'end', showSymbol: false, data: front.map(function (r) { return [r.mean_energy_j, r.accuracy]; }), lineStyle: { color: '#2f6fdf' } }]
    }, 'pareto');
    var withIpw = c.leaderboard.filter(function (r) { return r.ipw !== null; });
    draw(figure(g2, 'ipw-bars', 'tall', ' IPW (accuracy per watt, 1/W) per run with 95% bootstrap intervals.', src), {
      title: { text: 'IPW by run', left: 'center', textStyle: { fontSize: 13 } },
      tooltip: { trigger: 'axis' }, grid: { left: 56, right: 20, top: 40, bottom: 90 },
      xAxis: { type: 'category', data: withIpw.map(function (r) { return r.label; }), axisLabel: { rotate: 25, fontSize: 10 } },
      yAxis: { type: 'value', name: 'IPW (1/W)' },
      series: [{ name: 'IPW', type: 'bar', data: withIpw.map(function (r) { return r.ipw; }), itemStyle: { color: '#5b8def' } },
               errorBars('95% CI', withIpw.filter(function (r) { return r.ipw_ci95; }).map(function (r) { return [r.label, r.ipw_ci95[0], r.ipw_ci95[1]]; }))]
    }, 'ipw bars');
    if (c.coverage) {
      var cov = c.coverage;
      sec.appendChild(el('h3', { text: 'Coverage over ' + cov.all.items + ' items scored by every run: best-of-' + cov.all.models.length + ' = ' + pct(cov.all.coverage) }));
      sec.appendChild(table(['run', 'correct', 'accuracy', 'only this run', 'marginal contribution'],
        cov.all.models.map(function (m) { return [m.run, String(m.correct), fmt(m.accuracy, 3), String(m.unique), pct(m.marginal)]; })));
      draw(figure(sec, 'coverage', 'short', ' Coverage (share of items answered correctly by at least one run) as runs are added greedily, most useful first. Correctness: scored, no energy involved.', null), {
        title: { text: 'Greedy coverage', left: 'center', textStyle: { fontSize: 13 } },
        tooltip: { trigger: 'axis' }, grid: { left: 56, right: 20, top: 34, bottom: 60 },
        xAxis: { type: 'category', data: cov.greedy.map(function (g, i) { return (i ? '+ ' : '') + g.run; }), axisLabel: { fontSize: 10, rotate: cov.greedy.length > 4 ? 20 : 0 } },
        yAxis: { type: 'value', name: 'coverage', min: 0, max: 1 },
        series: [{ type: 'line', data: cov.greedy.map(function (g) { return g.coverage; }), areaStyle: { opacity: 0.15 } }]
      }, 'coverage');
      sec.appendChild(table(['category', 'items', 'coverage'].concat(cov.all.models.map(function (m) { return m.run; })),
        cov.by_category.map(function (g) { return [g.key, String(g.items), pct(g.coverage)].concat(g.models.map(function (m) { return fmt(m.accuracy, 3); })); })));
    }
    (c.warnings || []).forEach(function (w) { sec.appendChild(el('p', { 'class': 'note', text: 'note: ' + w })); });
  }

  function routingSection(parent, r) {
    var sec = parent.appendChild(el('section', { id: 'routing' }));
    var o = r.options;
    sec.appendChild(el('h2', { text: 'Hybrid local/cloud routing (cloud: ' + r.cloud + ')' }));
    sec.appendChild(el('p', { 'class': 'meta', text: r.routing.items + ' items. Prices (USD per million tokens): cloud in ' + o.cloud_usd_per_mtok_in +
      ', out ' + o.cloud_usd_per_mtok_out + '; electricity ' + o.usd_per_kwh + ' USD/kWh. Oracle: least-energy local run that answers correctly, else cloud; ' +
      'p-accurate: the oracle decision with probability p, else cloud. Compute = parameters × tokens.' }));
    var all = [r.routing.all_cloud].concat(r.routing.routers);
    sec.appendChild(table(['router', 'accuracy', 'answered locally', 'energy (J)', 'energy saved', 'compute (param·tokens)', 'compute saved', 'cost (USD)', 'cost saved'],
      all.map(function (x) { return [x.name, fmt(x.accuracy, 3), pct(x.local_share), fmt(x.energy_j), pct(x.energy_saved), fmt(x.compute_param_tokens),
                                     pct(x.compute_saved), fmt(x.cost_usd), pct(x.cost_saved)]; })));
    draw(figure(sec, 'routing-chart', 'short', ' Savings against all-cloud for each router (%); energy ' +
                (r.routing.cloud_energy_assumed ? 'partly ASSUMED for the cloud (' + o.cloud_j_per_token + ' J/token)' : 'as measured in each run') + '.', null), {
      title: { text: 'Savings vs all-cloud', left: 'center', textStyle: { fontSize: 13 } },
      tooltip: { trigger: 'axis', valueFormatter: function (v) { return v === null ? 'n/a' : fmt(v, 3) + '%'; } },
      legend: { top: 20 }, grid: { left: 50, right: 20, top: 50, bottom: 30 },
      xAxis: { type: 'category', data: r.routing.routers.map(function (x) { return x.name; }) },
      yAxis: { type: 'value', name: 'saved (%)' },
      series: ['energy_saved', 'compute_saved', 'cost_saved'].map(function (k) {
        return { name: k.replace('_saved', ''), type: 'bar', data: r.routing.routers.map(function (x) { return x[k] === null ? null : 100 * x[k]; }) };
      })
    }, 'routing');
    (r.warnings || []).forEach(function (w) { sec.appendChild(el('p', { 'class': 'note', text: 'note: ' + w })); });
  }

  // ---------------- page ----------------
  var main = document.getElementById('ipw-main');
  document.getElementById('ipw-meta').textContent = 'Generated ' + data.generated_utc + ' by ipw ' + data.ipw_version +
    ' (' + data.git_revision + ') from ' + data.runs.length + ' run(s).';
  try {
    if (data.comparison) comparisonSection(main, data.comparison);
    if (data.routing) routingSection(main, data.routing);
    data.runs.forEach(function (run, i) { runSection(main, run, i); });
  } catch (e) {
    window.__ipwErrors.push('render: ' + (e && e.stack ? e.stack : e));
  }
  window.addEventListener('resize', function () { charts.forEach(function (c) { c.chart.resize(); }); });

  // Self-check, read by the tests and shown to people when something failed.
  var status = { charts: charts.map(function (c) {
    var root = document.getElementById(c.id);
    return { id: c.id, title: c.title, svg: root.querySelectorAll('svg').length, shapes: root.querySelectorAll('svg path, svg rect, svg circle, svg line, svg polyline').length,
             width: root.clientWidth, height: root.clientHeight };
  }), errors: window.__ipwErrors };
  if (status.errors.length) main.insertBefore(el('div', { 'class': 'errors', text: 'Report errors: ' + status.errors.join(' | ') }), main.firstChild);
  var pre = document.getElementById('ipw-status');
  pre.textContent = JSON.stringify(status);
  document.body.setAttribute('data-ipw-rendered', String(charts.length));
})();
