package live

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/centrifugal/centrifuge"

	"github.com/bigpipe-go/bigpipe/pagelet"
)

// Filtered delivery.
//
// A publication carries application tags ([WithTags]); a feed declared
// [WithFilter] decides, when a page is granted its channels, which of them
// that page's reader receives. The filter is signed into the page's token
// and installed at connect as a server-side tags filter of the
// subscription (centrifuge's FilterNode, AND-ed with [Except]'s): a
// publication that does not match is never written to the connection, a
// recovering client gets only the matching ones from history, and the
// client cannot change the filter (the token is signed).

// appTagPrefix starts every application tag and every key a [Filter]
// compares: they cannot collide with the engine's own tags ([Except]'s,
// the publish time's).
const appTagPrefix = "t:"

// noneTag is a tag no publication carries: a filter on its existence
// matches nothing.
const noneTag = "bp.none"

// Bounds of a [Filter], so that a page's token stays small.
const (
	maxFilterNodes = 64   // nodes of one channel's filter
	maxFilterValue = 256  // bytes of a key or a value
	maxFilterBytes = 2048 // bytes of one channel's filter, encoded
)

// ErrFilterTooLarge is returned by [Engine.Grant] for a filter over its
// bounds: 64 nodes (each value of TagIn counting as one), keys and values
// of 256 bytes, 2 KiB encoded.
var ErrFilterTooLarge = errors.New("live: filter too large")

// Filter selects the publications of a channel a subscriber receives, by
// their tags ([WithTags]). Build one with [TagEquals], [TagIn],
// [TagContains], [AllOf] and [AnyOf]. The zero Filter matches every
// publication.
type Filter struct{ n *filterNode }

// filterNode is a centrifuge FilterNode, as a token's claims carry it.
type filterNode struct {
	Op    string        `json:"o,omitempty"` // "", "and", "or"
	Key   string        `json:"k,omitempty"`
	Cmp   string        `json:"c,omitempty"` // "eq", "in", "ct", "ex"
	Val   string        `json:"v,omitempty"`
	Vals  []string      `json:"vs,omitempty"`
	Nodes []*filterNode `json:"n,omitempty"`
}

// IsZero reports whether f is the zero Filter, which matches everything.
func (f Filter) IsZero() bool { return f.n == nil }

// nothing matches no publication.
var nothing = &filterNode{Key: noneTag, Cmp: "ex"}

// TagEquals matches a publication whose tag key is value.
func TagEquals(key, value string) Filter {
	if value == "" {
		return TagIn(key, value)
	}
	return Filter{&filterNode{Key: appTagPrefix + key, Cmp: "eq", Val: value}}
}

// TagIn matches a publication whose tag key is one of values; with no
// values it matches nothing. A publication without the tag matches none
// of them, not even "".
func TagIn(key string, values ...string) Filter {
	if len(values) == 0 {
		return Filter{nothing}
	}
	in := &filterNode{Key: appTagPrefix + key, Cmp: "in", Vals: slices.Clone(values)}
	if slices.Contains(values, "") { // centrifuge compares a missing tag as ""
		return Filter{&filterNode{Op: "and", Nodes: []*filterNode{{Key: in.Key, Cmp: "ex"}, in}}}
	}
	return Filter{in}
}

// TagContains matches a publication whose tag key contains substr (bytes,
// case-sensitive). An empty substr matches a publication that has the tag.
func TagContains(key, substr string) Filter {
	if substr == "" {
		return Filter{&filterNode{Key: appTagPrefix + key, Cmp: "ex"}}
	}
	return Filter{&filterNode{Key: appTagPrefix + key, Cmp: "ct", Val: substr}}
}

// AllOf matches a publication that every one of filters matches. Zero
// filters (which match everything) are left out: AllOf() is the zero
// Filter.
func AllOf(filters ...Filter) Filter { return combine("and", filters) }

// AnyOf matches a publication that one of filters matches. A zero filter
// among them makes it the zero Filter; AnyOf() matches nothing.
func AnyOf(filters ...Filter) Filter {
	if len(filters) == 0 {
		return Filter{nothing}
	}
	for _, f := range filters {
		if f.IsZero() {
			return Filter{}
		}
	}
	return combine("or", filters)
}

func combine(op string, filters []Filter) Filter {
	var nodes []*filterNode
	for _, f := range filters {
		if !f.IsZero() {
			nodes = append(nodes, f.n)
		}
	}
	switch len(nodes) {
	case 0:
		return Filter{}
	case 1:
		return Filter{nodes[0]}
	}
	return Filter{&filterNode{Op: op, Nodes: nodes}}
}

// check returns an error if n is over the bounds.
func (n *filterNode) check() error {
	count := 0
	var walk func(*filterNode) error
	walk = func(n *filterNode) error {
		count += 1 + len(n.Vals)
		if count > maxFilterNodes {
			return fmt.Errorf("%w: over %d nodes", ErrFilterTooLarge, maxFilterNodes)
		}
		if len(n.Key) > maxFilterValue || len(n.Val) > maxFilterValue {
			return fmt.Errorf("%w: a key or value over %d bytes", ErrFilterTooLarge, maxFilterValue)
		}
		for _, v := range n.Vals {
			if len(v) > maxFilterValue {
				return fmt.Errorf("%w: a value over %d bytes", ErrFilterTooLarge, maxFilterValue)
			}
		}
		for _, c := range n.Nodes {
			if err := walk(c); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(n); err != nil {
		return err
	}
	if b, _ := json.Marshal(n); len(b) > maxFilterBytes {
		return fmt.Errorf("%w: %d bytes encoded, over %d", ErrFilterTooLarge, len(b), maxFilterBytes)
	}
	return nil
}

// node returns n as centrifuge's FilterNode.
func (n *filterNode) node() *centrifuge.FilterNode {
	out := &centrifuge.FilterNode{Op: n.Op, Key: n.Key, Cmp: n.Cmp, Val: n.Val, Vals: n.Vals}
	for _, c := range n.Nodes {
		out.Nodes = append(out.Nodes, c.node())
	}
	return out
}

// FilterFunc decides which publications of channel the page of reader r
// receives: the zero [Filter] for all of them. ctx is the page request's.
// An error fails the page's grant (the page is rendered without live
// updates).
type FilterFunc func(ctx context.Context, r pagelet.Reader, channel string) (Filter, error)

// WithFilter makes the feed's delivery filtered: [Engine.Grant] asks
// filter, for each channel of the feed a page shows, which publications
// that page's reader receives, and signs the answer into the page's token.
// Publications carry the tags filters compare with [WithTags]. A
// publication a page's filter does not match never reaches its connection,
// live or recovered.
func WithFilter(filter FilterFunc) FeedOption { return func(s *feedSpec) { s.filter = filter } }

// Bounds of [WithTags].
const maxTags = 32

// WithTags gives a publication tags that subscribers' filters compare
// ([WithFilter]). They are the application's own: the engine keeps them
// apart from its tags. At most 32 tags; they count towards
// [Limits].MessageSize.
func WithTags(tags map[string]string) PublishOption {
	return func(o *publishOptions) {
		if o.tags == nil {
			o.tags = make(map[string]string, len(tags))
		}
		maps.Copy(o.tags, tags)
	}
}

// appTags adds tags to into, each key prefixed, and returns how many
// bytes they take.
func appTags(into, tags map[string]string) int {
	n := 0
	for k, v := range tags {
		into[appTagPrefix+k] = v
		n += len(appTagPrefix) + len(k) + len(v)
	}
	return n
}
