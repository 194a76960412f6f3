// Keeps a campaign's stats live: polls the JSON the page names (data-live-stats) every few seconds and writes each
// value into the element marked data-stat="<name>". The page is complete without it; this only refreshes it.
(function () {
  var box = document.querySelector("[data-live-stats]");
  if (!box) return;
  var source = box.getAttribute("data-live-stats");
  var money = { discount_total: true, budget_remaining: true };
  var format = function (name, value, currency) {
    if (value === null || value === undefined) return "—";
    if (money[name] && currency) return (value / 100).toFixed(2) + " " + currency;
    return String(value);
  };
  var refresh = function () {
    fetch(source, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (res) { return res.ok ? res.json() : null; })
      .then(function (stats) {
        if (!stats) return;
        document.querySelectorAll("[data-stat]").forEach(function (el) {
          var name = el.getAttribute("data-stat");
          if (name in stats) el.textContent = format(name, stats[name], stats.currency);
          if (name === "status") el.className = "status " + stats.status;
        });
      })
      .catch(function () {});
  };
  setInterval(refresh, 2000);
})();
