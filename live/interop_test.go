package live_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/centrifugal/centrifuge-go"

	"github.com/bigpipe-go/bigpipe/live"
	"github.com/bigpipe-go/bigpipe/render"
)

// sdkEvents is what a centrifuge-go client reports, as channels a test
// can wait on.
type sdkEvents struct {
	subscribed   chan centrifuge.ServerSubscribedEvent
	publications chan centrifuge.ServerPublicationEvent
	disconnected chan centrifuge.DisconnectedEvent
}

// await returns the next value of ch, failing t after d.
func await[T any](t *testing.T, ch <-chan T, d time.Duration, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(d):
		t.Fatalf("no %s within %v", what, d)
		var zero T
		return zero
	}
}

// TestCentrifugeGo checks that the official Go SDK, centrifuge-go, speaks
// to the engine as docs/live.md says: it connects to the WebSocket
// endpoint with a token from Engine.Token, is subscribed server-side to
// the token's channels, receives publications (the render.Fragment JSON)
// and recovers what it missed while disconnected; an invalid token is
// refused for good (3500), and an expired one is replaced through
// GetToken.
func TestCentrifugeGo(t *testing.T) {
	checkLeaks(t)
	f := newFixture(t)
	ctx := context.Background()

	newClient := func(t *testing.T, cfg centrifuge.Config) (*centrifuge.Client, *sdkEvents) {
		// [docs: client]
		client := centrifuge.NewJsonClient(f.wsURL(), cfg) // ws://host/_live/ws
		// [docs: end]
		ev := &sdkEvents{
			subscribed:   make(chan centrifuge.ServerSubscribedEvent, 16),
			publications: make(chan centrifuge.ServerPublicationEvent, 16),
			disconnected: make(chan centrifuge.DisconnectedEvent, 16),
		}
		// [docs: handlers]
		// The engine subscribes the connection to the token's channels
		// itself (server-side subscriptions): the client's own handlers
		// get their events, no NewSubscription needed.
		client.OnSubscribed(func(e centrifuge.ServerSubscribedEvent) {
			ev.subscribed <- e // e.Channel, e.Recovered, e.StreamPosition
		})
		client.OnPublication(func(e centrifuge.ServerPublicationEvent) {
			ev.publications <- e // e.Channel, e.Offset, e.Data: {"content":…,"css":[…]}
		})
		// [docs: end]
		client.OnDisconnected(func(e centrifuge.DisconnectedEvent) { ev.disconnected <- e })
		t.Cleanup(client.Close)
		return client, ev
	}

	t.Run("subscribed, publications, recovery", func(t *testing.T) {
		// [docs: connect]
		token, err := f.eng.Token("scores") // eng is the site's *live.Engine
		if err != nil {
			t.Fatal(err)
		}
		client, ev := newClient(t, centrifuge.Config{Token: token})
		if err := client.Connect(); err != nil {
			t.Fatal(err)
		}
		// [docs: end]
		sub := await(t, ev.subscribed, 5*time.Second, "server-side subscription")
		if sub.Channel != "scores" || !sub.Recoverable || !sub.Positioned || sub.StreamPosition == nil {
			t.Fatalf("subscribed %+v", sub)
		}
		if err := f.scores.Publish(ctx, "scores", "<p>2–1</p>"); err != nil {
			t.Fatal(err)
		}
		pub := await(t, ev.publications, 5*time.Second, "publication")
		want := render.AppendFragment(nil, &render.Fragment{Content: []byte("<p>2–1</p>"), CSS: []string{cssURL(t, f)}})
		if pub.Channel != "scores" || string(pub.Data) != string(want) || pub.Offset != sub.StreamPosition.Offset+1 {
			t.Fatalf("publication %s %q at %d, want %q at %d", pub.Channel, pub.Data, pub.Offset, want, sub.StreamPosition.Offset+1)
		}
		var frag struct {
			Content string   `json:"content"`
			CSS     []string `json:"css"`
		}
		if err := json.Unmarshal(pub.Data, &frag); err != nil || frag.Content != "<p>2–1</p>" {
			t.Fatalf("data %q: %v", pub.Data, err)
		}

		// Disconnected and connected again, the client
		// recovers, from the last offset it saw, what was published
		// meanwhile (a state channel: the latest).
		if err := client.Disconnect(); err != nil {
			t.Fatal(err)
		}
		await(t, ev.disconnected, 5*time.Second, "disconnect")
		for _, s := range []string{"<p>3–1</p>", "<p>4–1</p>"} {
			if err := f.scores.Publish(ctx, "scores", s); err != nil {
				t.Fatal(err)
			}
		}
		if err := client.Connect(); err != nil {
			t.Fatal(err)
		}
		sub = await(t, ev.subscribed, 5*time.Second, "resubscription")
		if !sub.WasRecovering || !sub.Recovered {
			t.Errorf("resubscribed %+v, want recovered", sub)
		}
		last := pub.Offset + 2
		pub = await(t, ev.publications, 5*time.Second, "recovered publication")
		if err := json.Unmarshal(pub.Data, &frag); err != nil || frag.Content != "<p>4–1</p>" || pub.Offset != last {
			t.Errorf("recovered %q at %d, want the latest at %d", pub.Data, pub.Offset, last)
		}
	})

	t.Run("invalid token", func(t *testing.T) {
		client, ev := newClient(t, centrifuge.Config{Token: "forged.token"})
		if err := client.Connect(); err != nil {
			t.Fatal(err)
		}
		d := await(t, ev.disconnected, 5*time.Second, "disconnect")
		if d.Code != 3500 {
			t.Errorf("disconnected with %d %q, want 3500 (invalid token)", d.Code, d.Reason)
		}
		if s := client.State(); s != centrifuge.StateDisconnected {
			t.Errorf("state %v: the client must not reconnect with an invalid token", s)
		}
		select {
		case s := <-ev.subscribed:
			t.Errorf("subscribed with an invalid token: %+v", s)
		default:
		}
	})

	t.Run("expired token refreshed", func(t *testing.T) {
		past := signer(t, live.WithSecret(testSecret), live.WithTokenTTL(-time.Minute))
		// [docs: refresh]
		cfg := centrifuge.Config{
			Token: signed(t, past, "scores"),
			// Called when the token has expired (reply error 109): a fresh
			// one from the site, such as an endpoint that returns
			// eng.Token(channels...).
			GetToken: func(centrifuge.ConnectionTokenEvent) (string, error) {
				return f.eng.Token("scores")
			},
		}
		// [docs: end]
		client, ev := newClient(t, cfg)
		if err := client.Connect(); err != nil {
			t.Fatal(err)
		}
		if sub := await(t, ev.subscribed, 5*time.Second, "subscription after the refresh"); sub.Channel != "scores" {
			t.Errorf("subscribed %+v", sub)
		}
	})
}

// cssURL is the fingerprinted URL of the scores feed's stylesheet.
func cssURL(t *testing.T, f *fixture) string {
	t.Helper()
	a, err := siteAssets(t).Get("scores.css")
	if err != nil {
		t.Fatal(err)
	}
	return a.URL
}
