// Package static embeds the site's CSS and JS sources: the BigPipe client
// runtime (bigpipe.js), the shared page styles (css/) and each pagelet's
// own files (pagelets/). The assets package minifies and fingerprints them
// at start-up, so the server binary runs from any directory.
package static

import "embed"

// FS holds every file under static/ that is served.
//
//go:embed css pagelets
var FS embed.FS
