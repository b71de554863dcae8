// Load curve of a PRM page: reads the measurements API and draws raw and corrected curves with uPlot.
// Estimated (E) and corrected (C) points of the corrected curve are drawn as separate orange markers.
(function () {
  'use strict';
  var holder = document.getElementById('courbe');
  if (!holder || typeof uPlot === 'undefined') return;
  var url = holder.getAttribute('data-src');
  var status = document.getElementById('courbe-etat');
  fetch(url, { credentials: 'same-origin', headers: { accept: 'application/json' } })
    .then(function (response) {
      if (!response.ok) throw new Error('HTTP ' + response.status);
      return response.json();
    })
    .then(function (data) {
      var times = data.raw.t.length >= data.corrected.t.length ? data.raw.t : data.corrected.t;
      if (times.length === 0) {
        status.textContent = 'Aucune mesure de courbe sur cette période.';
        return;
      }
      var byTime = function (series) {
        var map = new Map();
        series.t.forEach(function (t, i) {
          map.set(t, { w: series.w[i], n: series.n[i] });
        });
        return map;
      };
      var raw = byTime(data.raw);
      var corrected = byTime(data.corrected);
      var xs = times.map(function (t) {
        return t / 1000;
      });
      var rawW = times.map(function (t) {
        var p = raw.get(t);
        return p ? p.w : null;
      });
      var bestW = times.map(function (t) {
        var p = corrected.get(t);
        return p ? p.w : null;
      });
      var filled = times.map(function (t) {
        var p = corrected.get(t);
        return p && (p.n === 'E' || p.n === 'C') ? p.w : null;
      });
      var estimated = filled.filter(function (v) {
        return v !== null;
      }).length;
      var opts = {
        width: Math.max(320, holder.clientWidth - 24),
        height: 320,
        cursor: { drag: { x: true, y: false } },
        scales: { x: { time: true } },
        // Paris time whatever the browser's zone, French 24 h labels.
        tzDate: function (ts) {
          return uPlot.tzDate(new Date(ts * 1e3), 'Europe/Paris');
        },
        axes: [
          {
            // Midnights show the day, other ticks the hour.
            values: function (u, splits) {
              return splits.map(function (v) {
                var parts = {};
                new Intl.DateTimeFormat('fr-FR', {
                  timeZone: 'Europe/Paris',
                  day: '2-digit',
                  month: '2-digit',
                  hour: '2-digit',
                  minute: '2-digit',
                  hourCycle: 'h23',
                })
                  .formatToParts(new Date(v * 1000))
                  .forEach(function (p) {
                    parts[p.type] = p.value;
                  });
                return parts.hour === '00' && parts.minute === '00'
                  ? parts.day + '/' + parts.month
                  : parts.hour + 'h' + parts.minute;
              });
            },
            space: 60,
            size: 50,
          },
          { label: 'W', size: 70 },
        ],
        series: [
          {
            label: 'Date',
            value: function (u, v) {
              return v == null
                ? '--'
                : new Date(v * 1000).toLocaleString('fr-FR', { timeZone: 'Europe/Paris' });
            },
          },
          { label: 'Courbe brute', stroke: '#0b4f9c', width: 1 },
          { label: 'Courbe corrigée', stroke: '#1d7a3a', width: 1, dash: [6, 3] },
          {
            label: 'Points estimés ou corrigés',
            stroke: '#c25e00',
            width: 0,
            points: { show: true, size: 7, fill: '#c25e00', stroke: '#c25e00' },
            paths: function () {
              return null;
            },
          },
        ],
      };
      holder.setAttribute('data-points', String(times.length));
      holder.setAttribute('data-estimated', String(estimated));
      new uPlot(opts, [xs, rawW, bestW, filled], holder);
      status.textContent =
        times.length +
        ' points ; ' +
        estimated +
        ' point(s) estimé(s) ou corrigé(s). Sélectionnez une zone à la souris pour zoomer, double-cliquez pour revenir.';
    })
    .catch(function (error) {
      status.textContent = 'La courbe n’a pas pu être chargée (' + error.message + ').';
    });
})();
