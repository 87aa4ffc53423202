package assets

import "github.com/bigpipe-go/bigpipe/internal/header"

// The content codings of asset variants, as package header names them.
type coding = header.Coding

const (
	identity   = header.Identity
	gzipCoding = header.Gzip
	brCoding   = header.Brotli
	numCodings = header.NumCodings
)

// negotiate picks the variant to send, by the rules of package header.
func negotiate(values []string, have [numCodings]bool) coding {
	return header.Negotiate(values, have)
}
