// The storefront demo: POST /v1/vouchers/{code}/validate with a publishable key from this page's origin. The API
// answers CORS only for origins the key allows; from any other origin the browser refuses to hand over the answer.
(function () {
  var params = new URLSearchParams(location.search);
  var field = function (id) { return document.getElementById(id); };
  ["api", "key", "amount", "currency"].forEach(function (name) {
    if (params.get(name)) field(name).value = params.get(name);
  });
  var money = function (cents, currency) { return (cents / 100).toFixed(2) + " " + currency; };
  var showTotal = function () { field("order-total").textContent = money(Number(field("amount").value) || 0, field("currency").value.toUpperCase()); };
  field("amount").addEventListener("input", showTotal);
  field("currency").addEventListener("input", showTotal);
  showTotal();

  var result = field("result");
  var show = function (kind, text) { result.className = kind; result.textContent = text; };

  field("voucher-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var code = field("code").value.trim();
    var currency = field("currency").value.toUpperCase();
    var amount = Number(field("amount").value);
    show("pending", "Checking " + code + "…");
    fetch(field("api").value.replace(/\/$/, "") + "/v1/vouchers/" + encodeURIComponent(code) + "/validate", {
      method: "POST",
      headers: { Authorization: "Bearer " + field("key").value.trim(), "Content-Type": "application/json" },
      body: JSON.stringify({ order: { amount: amount, currency: currency } }),
    })
      .then(function (res) { return res.json(); })
      .then(function (body) {
        if (body.valid === true) {
          show("valid", body.code + ": " + money(body.discount_amount, currency) + " off. You pay " + money(body.order.total_amount, currency) + ".");
        } else if (body.valid === false) {
          show("invalid", body.code + " does not apply: " + body.message + " (" + body.reason + ")");
        } else {
          show("invalid", body.message + " (" + body.error + ")");
        }
      })
      .catch(function () {
        // A CORS refusal is indistinguishable from a network failure to the page, by design of the browser.
        show("refused", "The API did not answer this page: this origin is not allowed for the key, or the API is unreachable.");
      });
  });
})();
