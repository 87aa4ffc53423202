// Package mailtest is the behaviour every [store.Mail] must have, as
// tests both implementations run: the news store's own file and
// PostgreSQL (package pgstore).
//
//	func TestMail(t *testing.T) {
//		mailtest.Run(t, func(t *testing.T) store.Mail { return openOne(t) })
//	}
package mailtest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/bigpipe-go/bigpipe/internal/store"
)

// base is when the tests' messages are posted, to the microsecond (what
// PostgreSQL keeps).
var base = time.Date(2026, 12, 7, 10, 42, 0, 0, time.UTC)

// Run runs the tests, each on a fresh Mail from open.
func Run(t *testing.T, open func(t *testing.T) store.Mail) {
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, m store.Mail)
	}{
		{"MessageOnce", messageOnce},
		{"MessageConcurrentOneID", messageConcurrentOneID},
		{"MessageSeqWithoutGaps", messageSeqWithoutGaps},
		{"ConversationPaging", conversationPaging},
		{"ConversationsAndReceipts", conversationsAndReceipts},
		{"NotificationOnce", notificationOnce},
		{"NotificationsReadAndUnread", notificationsReadAndUnread},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
}

func msg(id, from, to, text string, minute int) store.Message {
	return store.Message{ID: id, From: from, To: to, FromName: name(from), ToName: name(to), Text: text,
		Posted: base.Add(time.Duration(minute) * time.Minute)}
}

// name is the display name of a test reader id.
func name(id string) string { return "N-" + id }

func add(t *testing.T, m store.Mail, in store.Message) store.Message {
	t.Helper()
	got, added, err := m.AddMessage(t.Context(), in)
	if err != nil || !added {
		t.Fatalf("AddMessage(%s) = %v, %v; want added", in.ID, added, err)
	}
	return got
}

// messageOnce: a retry of a message (even with other text) is stored
// once and answered with the first; an id another sender used is
// refused; a message to oneself or without an id is refused.
func messageOnce(t *testing.T, m store.Mail) {
	ctx := t.Context()
	first := add(t, m, msg("m-0000001", "ada", "bob", "Hello Bob", 0))
	if first.Seq != 1 || !first.Posted.Equal(base) || first.ConversationKey() != "ada,bob" {
		t.Errorf("first = %+v", first)
	}
	again, added, err := m.AddMessage(ctx, msg("m-0000001", "ada", "bob", "Hello again", 1))
	if err != nil || added || again.Seq != 1 || again.Text != "Hello Bob" {
		t.Errorf("retry = %+v, %v, %v; want the first, not added", again, added, err)
	}
	if _, _, err := m.AddMessage(ctx, msg("m-0000001", "bob", "ada", "mine now", 2)); !errors.Is(err, store.ErrIDTaken) {
		t.Errorf("same id from the other reader: %v, want ErrIDTaken", err)
	}
	for _, bad := range []store.Message{msg("m-self-001", "ada", "ada", "me", 0), msg("", "ada", "bob", "x", 0), msg("m-noone01", "ada", "", "x", 0)} {
		if _, _, err := m.AddMessage(ctx, bad); !errors.Is(err, store.ErrBadMail) {
			t.Errorf("AddMessage(%+v) = %v, want ErrBadMail", bad, err)
		}
	}
	got, err := m.Conversation(ctx, "bob", "ada", 0, 0)
	if err != nil || len(got) != 1 || got[0] != first {
		t.Errorf("Conversation = %+v, %v; want the first alone", got, err)
	}
}

// messageConcurrentOneID posts one message id from 16 goroutines at once:
// exactly one adds it, every one gets it back with seq 1.
func messageConcurrentOneID(t *testing.T, m store.Mail) {
	const n = 16
	var wg sync.WaitGroup
	added := make([]bool, n)
	errs := make([]error, n)
	seqs := make([]uint64, n)
	for i := range n {
		wg.Go(func() {
			got, a, err := m.AddMessage(t.Context(), msg("same-id-1", "ada", "bob", fmt.Sprint("try ", i), 0))
			added[i], errs[i], seqs[i] = a, err, got.Seq
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if c := countTrue(added); c != 1 {
		t.Errorf("%d of %d concurrent posts of one id added it, want 1", c, n)
	}
	for i, s := range seqs {
		if s != 1 {
			t.Errorf("post %d got seq %d, want 1", i, s)
		}
	}
	if got, _ := m.Conversation(t.Context(), "ada", "bob", 0, 0); len(got) != 1 {
		t.Errorf("stored %d messages, want 1", len(got))
	}
}

// messageSeqWithoutGaps posts 24 messages from both readers at once, each
// twice: the seqs are 1 to 24, each once, and the conversation lists them
// in that order. Another conversation counts from 1 on its own.
func messageSeqWithoutGaps(t *testing.T, m store.Mail) {
	const n = 24
	var wg sync.WaitGroup
	errs := make([]error, 2*n)
	for i := range 2 * n {
		from, to := "ada", "bob"
		if i%4 >= 2 {
			from, to = to, from
		}
		wg.Go(func() {
			_, _, errs[i] = m.AddMessage(t.Context(), msg(fmt.Sprintf("gapless-%02d", i/2), from, to, "x", i/2))
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	got, err := m.Conversation(t.Context(), "ada", "bob", 0, 0)
	if err != nil || len(got) != n {
		t.Fatalf("Conversation: %d messages, %v; want %d", len(got), err, n)
	}
	ids := map[string]bool{}
	for i, msg := range got {
		if msg.Seq != uint64(i+1) {
			t.Errorf("message %d has seq %d", i, msg.Seq)
		}
		ids[msg.ID] = true
	}
	if len(ids) != n {
		t.Errorf("%d distinct ids, want %d", len(ids), n)
	}
	if other := add(t, m, msg("other-conv1", "ada", "cy", "hi", 0)); other.Seq != 1 {
		t.Errorf("first message to another reader has seq %d, want 1", other.Seq)
	}
}

// conversationPaging: newest-last pages below a seq.
func conversationPaging(t *testing.T, m store.Mail) {
	for i := range 7 {
		add(t, m, msg(fmt.Sprintf("page-msg-%d", i+1), "ada", "bob", fmt.Sprint(i+1), i))
	}
	for _, tc := range []struct {
		before uint64
		limit  int
		want   []uint64
	}{
		{0, 3, []uint64{5, 6, 7}},
		{5, 3, []uint64{2, 3, 4}},
		{2, 3, []uint64{1}},
		{1, 3, nil},
		{0, 0, []uint64{1, 2, 3, 4, 5, 6, 7}},
		{100, 2, []uint64{6, 7}},
		{4, 0, []uint64{1, 2, 3}},
	} {
		got, err := m.Conversation(t.Context(), "bob", "ada", tc.before, tc.limit)
		if err != nil {
			t.Fatal(err)
		}
		var seqs []uint64
		for _, g := range got {
			seqs = append(seqs, g.Seq)
		}
		if !slices.Equal(seqs, tc.want) {
			t.Errorf("before %d limit %d: seqs %v, want %v", tc.before, tc.limit, seqs, tc.want)
		}
	}
	if got, err := m.Conversation(t.Context(), "ada", "nobody", 0, 10); err != nil || len(got) != 0 {
		t.Errorf("a conversation never had: %v, %v", got, err)
	}
}

// conversationsAndReceipts: the list is latest first with unread counts
// per reader; a receipt moves forward only and is capped at the last
// message.
func conversationsAndReceipts(t *testing.T, m store.Mail) {
	ctx := t.Context()
	add(t, m, msg("c-bob-0001", "bob", "ada", "one", 0))
	add(t, m, msg("c-bob-0002", "bob", "ada", "two", 1))
	add(t, m, msg("c-cy-00001", "ada", "cy", "to cy", 2))
	last := add(t, m, msg("c-bob-0003", "bob", "ada", "three", 3))
	list, err := m.Conversations(ctx, "ada")
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].With != "bob" || list[0].WithName != name("bob") || list[0].Last != last || list[0].Unread != 3 ||
		list[1].With != "cy" || list[1].WithName != name("cy") || list[1].Unread != 1 {
		t.Errorf("Conversations(ada) = %+v", list)
	}
	if moved, err := m.MarkRead(ctx, "ada", "bob", 2, base.Add(time.Hour)); err != nil || !moved {
		t.Errorf("MarkRead 2 = %v, %v", moved, err)
	}
	if moved, err := m.MarkRead(ctx, "ada", "bob", 1, base.Add(2*time.Hour)); err != nil || moved {
		t.Errorf("MarkRead back to 1 = %v, %v; want not moved", moved, err)
	}
	if rc, err := m.ReadUpTo(ctx, "ada", "bob"); err != nil || rc.Seq != 2 || !rc.At.Equal(base.Add(time.Hour)) {
		t.Errorf("ReadUpTo = %+v, %v; want 2 at %v", rc, err, base.Add(time.Hour))
	}
	if moved, err := m.MarkRead(ctx, "ada", "bob", 99, base.Add(3*time.Hour)); err != nil || !moved {
		t.Errorf("MarkRead 99 = %v, %v", moved, err)
	}
	if rc, _ := m.ReadUpTo(ctx, "bob", "ada"); rc.Seq != 0 {
		t.Errorf("bob's receipt = %+v, want none", rc)
	}
	if rc, _ := m.ReadUpTo(ctx, "ada", "bob"); rc.Seq != 3 {
		t.Errorf("receipt after marking past the end = %d, want the last, 3", rc.Seq)
	}
	if moved, err := m.MarkRead(ctx, "ada", "nobody", 5, base); err != nil || moved {
		t.Errorf("MarkRead of no conversation = %v, %v", moved, err)
	}
	list, _ = m.Conversations(ctx, "ada")
	if len(list) != 2 || list[0].Unread != 0 {
		t.Errorf("after reading: %+v", list)
	}
	if list, _ := m.Conversations(ctx, "cy"); len(list) != 1 || list[0].With != "ada" || list[0].Unread != 1 {
		t.Errorf("Conversations(cy) = %+v", list)
	}
	if list, err := m.Conversations(ctx, "nobody"); err != nil || len(list) != 0 {
		t.Errorf("Conversations(nobody) = %+v, %v", list, err)
	}
}

func notice(id, to string, minute int) store.Notification {
	return store.Notification{ID: id, To: to, Kind: "reply", From: "Lin", Slug: "a-story", Title: "A story",
		CommentID: id, Text: "An answer", Posted: base.Add(time.Duration(minute) * time.Minute)}
}

// notificationOnce: a notification told again, even from 16 goroutines
// at once, is stored once.
func notificationOnce(t *testing.T, m store.Mail) {
	const n = 16
	var wg sync.WaitGroup
	added := make([]bool, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { _, added[i], errs[i] = m.AddNotification(t.Context(), notice("reply:c1", "ada", 0)) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if c := countTrue(added); c != 1 {
		t.Errorf("%d of %d added, want 1", c, n)
	}
	got, added2, err := m.AddNotification(t.Context(), notice("reply:c1", "ada", 5))
	if err != nil || added2 || got.Seq != 1 || !got.Posted.Equal(base) {
		t.Errorf("again = %+v, %v, %v", got, added2, err)
	}
	if _, _, err := m.AddNotification(t.Context(), notice("", "ada", 0)); !errors.Is(err, store.ErrBadMail) {
		t.Errorf("no id: %v", err)
	}
	if ns, _ := m.Notifications(t.Context(), "ada", 0); len(ns) != 1 {
		t.Errorf("%d stored, want 1", len(ns))
	}
}

// notificationsReadAndUnread: newest first, unread counted, read up to a
// seq or all, never back.
func notificationsReadAndUnread(t *testing.T, m store.Mail) {
	ctx := t.Context()
	for i := range 5 {
		if _, _, err := m.AddNotification(ctx, notice(fmt.Sprint("reply:n", i+1), "ada", i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := m.AddNotification(ctx, notice("reply:b1", "bob", 0)); err != nil {
		t.Fatal(err)
	}
	check := func(when string, unread int, reads []bool) {
		t.Helper()
		if n, err := m.UnreadNotifications(ctx, "ada"); err != nil || n != unread {
			t.Errorf("%s: unread %d, %v; want %d", when, n, err, unread)
		}
		ns, err := m.Notifications(ctx, "ada", 3)
		if err != nil || len(ns) != 3 {
			t.Fatalf("%s: Notifications = %v, %v", when, ns, err)
		}
		for i, n := range ns {
			if n.Seq != uint64(5-i) || n.ID != fmt.Sprint("reply:n", 5-i) || n.Read != reads[i] || n.To != "ada" || n.Title != "A story" {
				t.Errorf("%s: notification %d = %+v", when, i, n)
			}
		}
	}
	check("new", 5, []bool{false, false, false})
	if moved, err := m.MarkNotificationsRead(ctx, "ada", 4); err != nil || !moved {
		t.Errorf("mark 4: %v, %v", moved, err)
	}
	check("read to 4", 1, []bool{false, true, true})
	if moved, _ := m.MarkNotificationsRead(ctx, "ada", 2); moved {
		t.Error("mark 2 after 4 moved")
	}
	if moved, err := m.MarkNotificationsRead(ctx, "ada", 0); err != nil || !moved {
		t.Errorf("mark all: %v, %v", moved, err)
	}
	check("all read", 0, []bool{true, true, true})
	if n, _ := m.UnreadNotifications(ctx, "bob"); n != 1 {
		t.Errorf("bob's unread = %d, want 1", n)
	}
	if n, err := m.UnreadNotifications(ctx, "nobody"); err != nil || n != 0 {
		t.Errorf("nobody's unread = %d, %v", n, err)
	}
	if moved, err := m.MarkNotificationsRead(ctx, "nobody", 0); err != nil || moved {
		t.Errorf("nobody mark: %v, %v", moved, err)
	}
}

func countTrue(bs []bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}
