/* CareLoop: the console dashboard's charts.
   Reads the JSON data block #dashboard-charts (views.dashboard → charts.py: Plotly figures
   built on the server) and draws each <div data-figure="…"> with plotly.js (served from the
   installed plotly package). No inline script or style: loaded with <script src defer> after
   plotly.js.

   PNG export: a camera button in Plotly's mode bar. Plotly's own toImage button loads the
   chart's SVG through a blob: URL, which the page's CSP (img-src 'self' data:) refuses, so
   this one asks Plotly for the SVG as a data: URL, draws it on a canvas and saves the PNG.
   It works offline, like everything here. */
(function () {
  "use strict";
  var block = document.getElementById("dashboard-charts");
  if (!block || !window.Plotly) {
    return;
  }
  var Plotly = window.Plotly;
  var data = JSON.parse(block.textContent);
  var SCALE = 2;

  function save(href, filename) {
    var link = document.createElement("a");
    link.href = href;
    link.download = filename;
    document.body.appendChild(link);
    link.click();
    document.body.removeChild(link);
  }

  function downloadPng(gd, filename) {
    var width = gd._fullLayout.width;
    var height = gd._fullLayout.height;
    return Plotly.toImage(gd, { format: "svg", width: width, height: height }).then(function (svg) {
      return new Promise(function (resolve, reject) {
        var image = new window.Image();
        image.onload = function () {
          var canvas = document.createElement("canvas");
          canvas.width = width * SCALE;
          canvas.height = height * SCALE;
          var context = canvas.getContext("2d");
          context.fillStyle = "#ffffff";
          context.fillRect(0, 0, canvas.width, canvas.height);
          context.drawImage(image, 0, 0, canvas.width, canvas.height);
          save(canvas.toDataURL("image/png"), filename + ".png");
          resolve(filename);
        };
        image.onerror = reject;
        image.src = svg;
      });
    });
  }

  function draw(el) {
    var key = el.getAttribute("data-figure");
    var figure = data.figures[key];
    if (!figure) {
      return;
    }
    var filename = "careloop-" + key + "-" + data.suffix;
    var png = {
      name: "png",
      title: data.labels.png,
      icon: Plotly.Icons.camera,
      click: function (gd) {
        downloadPng(gd, filename);
      }
    };
    var config = {
      responsive: true,
      displaylogo: false,
      displayModeBar: true,
      modeBarButtons: [[png]]
    };
    Plotly.newPlot(el, figure.data, figure.layout, config).then(function () {
      el.setAttribute("data-rendered", "true");
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-figure]"), draw);
})();
