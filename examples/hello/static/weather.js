// Runs once every pagelet is shown (or at the end of a plain-HTML page).
document.querySelectorAll('.weather h2').forEach(function (h) { h.title = 'Updated ' + new Date().toLocaleTimeString(); });
