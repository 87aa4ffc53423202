package assets

import "testing"

// TestIDCollision forces two different contents onto the same first id
// window: the later name (by sort order) moves to the next free window of its
// own hash, the same way on every instance.
func TestIDCollision(t *testing.T) {
	for range 2 { // same answer however often it is computed
		a, b := &Asset{Name: "a.css"}, &Asset{Name: "b.css"}
		a.sum[10], b.sum[20] = 7, 9 // both start with 25 zero bits: the same first window "aaaaa"
		if err := assignIDs([]*Asset{b, a}); err != nil {
			t.Fatal(err)
		}
		if a.ID != "aaaaa" || b.ID == "aaaaa" || len(b.ID) != IDLen {
			t.Fatalf("ids a.css=%q b.css=%q; want a.css=aaaaa and b.css moved to another 5-char id", a.ID, b.ID)
		}
	}
}
