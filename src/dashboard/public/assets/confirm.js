// Asks before a form whose effect cannot be undone is sent (revoke, rotate, roll back, reject): a form marked
// data-confirm="<question>" is sent only once the user says yes. Without script the form is sent as before.
(function () {
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form && form.getAttribute ? form.getAttribute("data-confirm") : null;
    if (question && !window.confirm(question)) event.preventDefault();
  });
})();
