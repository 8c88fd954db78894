// Onsite back office: live updates of the page's live region (#live[data-live]).
// The server says "changed" on a WebSocket when a commit concerns the back office; the
// page then fetches itself and swaps in the new region. No data travels on the socket,
// and a lost notice only delays the update until the next one.
"use strict";
(function () {
  var region = document.getElementById("live");
  if (!region || !region.dataset.live || !window.WebSocket) {
    return;
  }
  var refreshing = false;
  var again = false;
  function refresh() {
    if (refreshing) {
      again = true;
      return;
    }
    refreshing = true;
    fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (r) {
        if (r.redirected || !r.ok) {
          // Signed out or refused: show that page as it is.
          window.location.reload();
          return null;
        }
        return r.text();
      })
      .then(function (html) {
        if (html === null) {
          return;
        }
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("live");
        if (fresh) {
          region.replaceChildren.apply(region, Array.prototype.slice.call(fresh.childNodes));
          document.body.dataset.refreshed = String(Number(document.body.dataset.refreshed || 0) + 1);
        }
      })
      .catch(function () {})
      .then(function () {
        refreshing = false;
        if (again) {
          again = false;
          refresh();
        }
      });
  }
  var delay = 1000;
  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + "/live");
    socket.onmessage = function (event) {
      delay = 1000;
      if (event.data === "ready") {
        document.body.dataset.live = "ready";
      }
      refresh();
    };
    socket.onclose = function () {
      document.body.dataset.live = "closed";
      // Jitter, so a room of browsers does not reconnect in lockstep.
      setTimeout(connect, delay + Math.random() * delay);
      delay = Math.min(delay * 2, 30000);
    };
  }
  connect();
})();
