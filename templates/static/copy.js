// The copy button beside a device password shown once (the one-step
// setup's result page, the only page that runs a script): it appears only
// where scripts run, so the page works without it.
document.querySelectorAll("button[data-copy]").forEach(function (button) {
  button.hidden = false;
  button.addEventListener("click", function () {
    var text = document.getElementById(button.dataset.copy).textContent;
    navigator.clipboard.writeText(text).then(function () {
      button.textContent = button.dataset.done;
    });
  });
});
