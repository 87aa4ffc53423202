package live

import (
	"bytes"
	"strconv"
	"time"

	"github.com/centrifugal/centrifuge"
	"github.com/centrifugal/protocol"
)

// publishTimeTag is the publication tag that carries when Publish was
// called, in Unix nanoseconds: an instance that writes the publication to
// a client, this one or another behind the same broker, observes the time
// since then (bigpipe_live_publish_to_write_seconds). Clients ignore tags.
const publishTimeTag = "bp.t"

// publishTimeTags returns the tags of a publication made at t.
func publishTimeTags(t time.Time) map[string]string {
	return map[string]string{publishTimeTag: strconv.FormatInt(t.UnixNano(), 10)}
}

// tagPrefix is how the tag starts in a publication as centrifuge's JSON
// protocol writes it. A publication's data is a JSON fragment in which
// every quote of the content is escaped, so it cannot hold this.
var tagPrefix = []byte(`"` + publishTimeTag + `":"`)

// transportWrite is the node's TransportWriteHandler: for each publication
// about to be written to a client, it observes the time since the Publish
// call its tag gives. It never holds a write back.
func (e *Engine) transportWrite(_ *centrifuge.Client, ev centrifuge.TransportWriteEvent) bool {
	if ev.FrameType != protocol.FrameTypePushPublication {
		return true
	}
	if sent, ok := publishedAt(ev.Data); ok {
		e.m.publishToWrite.Observe(max(0, time.Since(time.Unix(0, sent))).Seconds())
	}
	return true
}

// publishedAt reads the publish time tag of one encoded publication push.
func publishedAt(data []byte) (int64, bool) {
	i := bytes.LastIndex(data, tagPrefix)
	if i < 0 {
		return 0, false
	}
	rest := data[i+len(tagPrefix):]
	end := bytes.IndexByte(rest, '"')
	if end < 0 {
		return 0, false
	}
	n, err := strconv.ParseInt(string(rest[:end]), 10, 64)
	return n, err == nil && n > 0
}
