document.getElementById('external').textContent = 'external script ran';
document.documentElement.dataset.external = 'ran';
