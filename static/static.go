// Package static embeds the site's CSS and JS sources: the BigPipe client
// runtime (bigpipe.js), the shared page styles (css/) and each pagelet's
// own files (pagelets/), and its images (img/: each article's picture, the
// sections' and the site's, the publisher logo; made by go generate, see
// internal/artimg). The assets package minifies and fingerprints them at
// start-up, so the server binary runs from any directory.
package static

//go:generate go run ../internal/artimg/cmd/genimages -out img

import "embed"

// FS holds every file under static/ that is served.
//
//go:embed css pagelets img
var FS embed.FS
