fetch(window.TAVERN.apiBase + '/v1/health')
  .then(function (r) {
    return r.json();
  })
  .then(function (body) {
    document.getElementById('status').textContent = body.status;
  })
  .catch(function () {
    document.getElementById('status').textContent = 'offline';
  });
