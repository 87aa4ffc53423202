package assets

import (
	"encoding/base32"
	"fmt"
	"path"
	"sort"
	"strings"
)

// hashLen is the number of hex digits of the content hash put in URLs.
const hashLen = 10

// hashedName inserts hash before the extension: "a/b.css" -> "a/b.<hash>.css".
func hashedName(name, hash string) string {
	ext := path.Ext(name)
	return strings.TrimSuffix(name, ext) + "." + hash + ext
}

// assignIDs sorts all by name and gives every asset an IDLen-character id
// taken from its content hash. Identical contents share an id (they are the
// same resource to the browser). When two different contents collide, the
// one with the larger name moves to the next window of its hash; the order
// is by name, so every instance with the same files computes the same ids,
// whatever order it found them in.
func assignIDs(all []*Asset) error {
	enc := base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)
	sort.Slice(all, func(i, j int) bool { return all[i].Name < all[j].Name })
	owner := map[string]*Asset{}
	for _, a := range all {
		s := enc.EncodeToString(a.sum[:])
		placed := false
		for off := 0; off+IDLen <= len(s); off += IDLen {
			id := s[off : off+IDLen]
			if prev, taken := owner[id]; taken && prev.sum != a.sum {
				continue
			}
			owner[id], a.ID, placed = a, id, true
			break
		}
		if !placed {
			return fmt.Errorf("assets: no free id for %s", a.Name)
		}
	}
	return nil
}
