package store_test

import (
	"testing"

	"github.com/bigpipe-go/bigpipe/internal/mailtest"
	"github.com/bigpipe-go/bigpipe/internal/store"
)

// TestMail runs the behaviour every store.Mail has on the store's own
// file.
func TestMail(t *testing.T) {
	mailtest.Run(t, func(t *testing.T) store.Mail {
		st, err := store.OpenMemory()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	})
}
