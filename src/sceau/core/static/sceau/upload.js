// Upload with a progress bar. Without this script the form still posts normally.
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form || !window.FormData || !window.XMLHttpRequest) { return; }
  var bar = document.getElementById("upload-progress");
  var status = document.getElementById("upload-status");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) {
        var pct = Math.round((e.loaded / e.total) * 100);
        bar.value = pct;
        status.textContent = "Envoi en cours : " + pct + " %";
      }
    });
    xhr.addEventListener("load", function () {
      var body = {};
      try { body = JSON.parse(xhr.responseText); } catch (err) { body = {}; }
      if (xhr.status === 201 && body.redirect) {
        status.textContent = "Document déposé. Empreinte SHA-256 : " + body.sha256;
        window.location.assign(body.redirect);
        return;
      }
      button.disabled = false;
      bar.hidden = true;
      status.textContent = body.message || ("Le dépôt a échoué (code " + xhr.status + "). Réessayez.");
      status.className = "error";
    });
    xhr.addEventListener("error", function () {
      button.disabled = false;
      status.textContent = "La connexion a été interrompue : réessayez le dépôt.";
      status.className = "error";
    });
    button.disabled = true;
    bar.hidden = false;
    status.className = "";
    status.textContent = "Envoi en cours : 0 %";
    xhr.send(new FormData(form));
  });
})();
