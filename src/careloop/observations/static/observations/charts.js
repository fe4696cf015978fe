/* CareLoop: blood pressure, glucose and steps charts on the resident record.
   Reads the JSON data block #chart-data (views.record_health → charts.chart_data) and draws
   each <div data-chart="…"> with plotly.js (served from the installed plotly package).
   No inline script or style: this file is loaded with <script src defer> after plotly.js. */
(function () {
  "use strict";
  var block = document.getElementById("chart-data");
  if (!block || !window.Plotly) {
    return;
  }
  var data = JSON.parse(block.textContent);
  var L = data.labels;
  var INK = "#1f2933";
  var SOFT = "#52606d";
  var LINE = "#d9e2ec";
  var SEVERITY = { routine: "#d97706", urgent: "#dc2626", critical: "#7f1d1d" };
  var BAND = { routine: "rgba(245, 158, 11, 0.13)", urgent: "rgba(220, 38, 38, 0.12)", critical: "rgba(127, 29, 29, 0.15)" };
  var CONFIG = { displayModeBar: false, responsive: true, scrollZoom: false };

  function layout(extra) {
    var base = {
      height: 260,
      margin: { l: 48, r: 12, t: 8, b: 32 },
      paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "rgba(0,0,0,0)",
      font: { family: "system-ui, -apple-system, 'PingFang SC', 'Microsoft YaHei', sans-serif", size: 12, color: INK },
      xaxis: { type: "date", range: data.range, tickformat: "%m-%d", hoverformat: "%Y-%m-%d %H:%M", gridcolor: LINE, linecolor: LINE, fixedrange: true },
      yaxis: { gridcolor: LINE, zeroline: false, fixedrange: true, automargin: true },
      legend: { orientation: "h", x: 0, y: 1.12, font: { color: SOFT } },
      hovermode: "closest",
      shapes: [],
      annotations: []
    };
    for (var key in extra) {
      base[key] = extra[key];
    }
    return base;
  }

  function band(y0, y1, severity) {
    return { type: "rect", xref: "paper", x0: 0, x1: 1, yref: "y", y0: y0, y1: y1, fillcolor: BAND[severity], line: { width: 0 }, layer: "below" };
  }

  function rule(y, severity, dash) {
    return { type: "line", xref: "paper", x0: 0, x1: 1, yref: "y", y0: y, y1: y, line: { color: SEVERITY[severity], width: 1, dash: dash || "dash" }, layer: "below" };
  }

  function note(y, text, severity) {
    return { xref: "paper", x: 0.005, xanchor: "left", yref: "y", y: y, yanchor: "bottom", text: text, showarrow: false, font: { size: 11, color: SEVERITY[severity] } };
  }

  function alertTrace(alerts) {
    return {
      type: "scatter",
      mode: "markers",
      name: L.alert,
      x: alerts.map(function (a) { return a.x; }),
      y: alerts.map(function (a) { return a.y; }),
      text: alerts.map(function (a) { return a.text; }),
      hovertemplate: "%{text}<extra></extra>",
      marker: {
        symbol: "diamond-open",
        size: 16,
        color: alerts.map(function (a) { return SEVERITY[a.severity] || SEVERITY.routine; }),
        line: { width: 2.5 }
      },
      cliponaxis: false
    };
  }

  function max(values, floor) {
    return values.reduce(function (m, v) { return v !== null && v > m ? v : m; }, floor);
  }

  function min(values, ceiling) {
    return values.reduce(function (m, v) { return v !== null && v < m ? v : m; }, ceiling);
  }

  var draw = {
    bp: function (el, bp) {
      var tiers = bp.thresholds;
      var top = max(bp.systolic, 0);
      var yMax = Math.max(200, top + 15);
      var yMin = Math.min(40, min(bp.diastolic, 200) - 10);
      var shapes = [];
      var notes = [];
      tiers.forEach(function (tier, i) {
        var next = tiers[i + 1];
        shapes.push(band(tier.systolic, next ? next.systolic : yMax, tier.severity));
        shapes.push(rule(tier.diastolic, tier.severity, "dot"));
        var label = tier.severity === "routine" ? L.routine : L.urgent;
        notes.push(note(tier.systolic, label + " ≥ " + tier.systolic + "/" + tier.diastolic, tier.severity));
      });
      var traces = [
        { type: "scatter", mode: "lines+markers", name: L.systolic, x: bp.x, y: bp.systolic, line: { color: "#0b6e69", width: 2 }, marker: { size: 5 }, hovertemplate: L.systolic + " %{y} mmHg<br>%{x}<extra></extra>" },
        { type: "scatter", mode: "lines+markers", name: L.diastolic, x: bp.x, y: bp.diastolic, line: { color: "#3b82f6", width: 2 }, marker: { size: 5 }, hovertemplate: L.diastolic + " %{y} mmHg<br>%{x}<extra></extra>" }
      ];
      if (bp.alerts.length) {
        traces.push(alertTrace(bp.alerts));
      }
      return window.Plotly.newPlot(el, traces, layout({
        shapes: shapes,
        annotations: notes,
        yaxis: { range: [yMin, yMax], gridcolor: LINE, zeroline: false, fixedrange: true, title: { text: "mmHg", font: { size: 11, color: SOFT } } }
      }), CONFIG);
    },

    glucose: function (el, glucose) {
      var t = glucose.thresholds;
      var yMax = Math.max(15, max(glucose.y, 0) + 2);
      var traces = [
        { type: "scatter", mode: "lines+markers", name: L.glucose, x: glucose.x, y: glucose.y, text: glucose.kind, line: { color: "#7c3aed", width: 2 }, marker: { size: 6 }, hovertemplate: "%{text}: %{y} mmol/L<br>%{x}<extra></extra>" }
      ];
      if (glucose.alerts.length) {
        traces.push(alertTrace(glucose.alerts));
      }
      return window.Plotly.newPlot(el, traces, layout({
        shapes: [band(t.high, yMax, "routine"), band(0, t.low, "urgent")],
        annotations: [note(t.high, L.high + " ≥ " + t.high, "routine"), note(t.low, L.low + " < " + t.low, "urgent")],
        yaxis: { range: [0, yMax], gridcolor: LINE, zeroline: false, fixedrange: true, title: { text: "mmol/L", font: { size: 11, color: SOFT } } }
      }), CONFIG);
    },

    steps: function (el, steps) {
      var traces = [
        { type: "bar", name: L.steps, x: steps.x, y: steps.y, marker: { color: "#0b6e69", opacity: 0.75 }, hovertemplate: "%{x|%Y-%m-%d}: %{y}<extra></extra>" }
      ];
      if (steps.alerts.length) {
        traces.push(alertTrace(steps.alerts));
      }
      return window.Plotly.newPlot(el, traces, layout({ showlegend: false }), CONFIG);
    }
  };

  var plots = document.querySelectorAll("[data-chart]");
  Array.prototype.forEach.call(plots, function (el) {
    var kind = el.getAttribute("data-chart");
    if (!draw[kind] || !data[kind]) {
      return;
    }
    draw[kind](el, data[kind]).then(function () {
      el.setAttribute("data-rendered", "true");
    });
  });
})();
