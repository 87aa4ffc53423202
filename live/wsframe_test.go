package live

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// clientFrame encodes a masked client frame with the length field in the
// shortest form, as RFC 6455 section 5.2 lays it out: written here apart
// from the transport's own code, to hold parseWSHeader to.
func clientFrame(fin bool, op byte, mask [4]byte, payload []byte) []byte {
	b0 := op
	if fin {
		b0 |= 0x80
	}
	b := []byte{b0}
	switch n := len(payload); {
	case n < 126:
		b = append(b, 0x80|byte(n))
	case n < 1<<16:
		b = append(b, 0x80|126, byte(n>>8), byte(n))
	default:
		b = append(b, 0x80|127, 0, 0, 0, 0, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	b = append(b, mask[:]...)
	for i, c := range payload {
		b = append(b, c^mask[i%4])
	}
	return b
}

// FuzzParseWSHeader holds the frame parser to the RFC's layout: a frame a
// client may send parses to what was encoded, with its payload unmasked;
// every other input is short or refused with a close code, never a
// header that claims more than the limit, and never a panic.
func FuzzParseWSHeader(f *testing.F) {
	f.Add(true, byte(wsText), []byte("{}"), uint32(0x37fa213d), 1024, []byte{0x81, 0x82, 1, 2, 3, 4})
	f.Add(false, byte(wsContinuation), bytes.Repeat([]byte("a"), 300), uint32(1), 200, []byte{0x89, 0xfe, 0, 126})
	f.Add(true, byte(wsClose), []byte{3, 232}, uint32(0), 64<<10, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	f.Add(true, byte(wsBinary), make([]byte, 70000), uint32(9), 1<<20, []byte{0x82, 0xff, 0, 0, 0, 0, 0, 1, 0, 0, 9, 9, 9, 9})
	f.Fuzz(func(t *testing.T, fin bool, op byte, payload []byte, mask uint32, max int, arbitrary []byte) {
		if max < 0 {
			max = -max
		}
		op &= 0x0f
		var m [4]byte
		binary.BigEndian.PutUint32(m[:], mask)
		frame := clientFrame(fin, op, m, payload)
		h, err := parseWSHeader(frame, max)
		known := op <= wsBinary || (op >= wsClose && op <= wsPong)
		control := op >= wsClose
		var we *wsError
		switch {
		case !known || (control && (!fin || len(payload) > wsMaxControl)):
			if !errors.As(err, &we) || we.Code != wsCloseProtocol {
				t.Fatalf("frame %x: %v, want refused with 1002", frame[:min(len(frame), 16)], err)
			}
		case len(payload) > max:
			if !errors.As(err, &we) || we.Code != wsCloseTooBig {
				t.Fatalf("payload %d over %d: %v, want refused with 1009", len(payload), max, err)
			}
		case err != nil:
			t.Fatalf("good frame refused: %v", err)
		default:
			if h.fin != fin || h.op != op || h.mask != m || h.length != len(payload) || h.size+h.length != len(frame) {
				t.Fatalf("parsed %+v from fin %v op %d payload %d mask %x", h, fin, op, len(payload), m)
			}
			p := frame[h.size:]
			unmaskWS(p, h.mask)
			if !bytes.Equal(p, payload) {
				t.Fatal("payload unmasked wrong")
			}
		}
		// Any bytes: short, refused, or a header within them and the limit.
		h, err = parseWSHeader(arbitrary, max)
		switch {
		case errors.Is(err, errWSShort), errors.As(err, &we):
		case err != nil:
			t.Fatalf("unexpected error %v", err)
		case h.size > len(arbitrary) || h.length < 0 || h.length > max:
			t.Fatalf("header %+v of %d bytes, limit %d", h, len(arbitrary), max)
		}
	})
}

// FuzzAppendWSClose holds close frames to what a client may read: a
// control frame of at most 125 bytes, the code first, the reason a UTF-8
// prefix of what was given (when that was UTF-8), and read back by
// parseWSClose as written.
func FuzzAppendWSClose(f *testing.F) {
	f.Add(uint16(3500), "invalid token")
	f.Add(uint16(1000), strings.Repeat("é", 100))
	f.Add(uint16(3010), "insufficient state")
	f.Fuzz(func(t *testing.T, code uint16, reason string) {
		b := appendWSClose(nil, code, reason)
		if b[0] != 0x80|wsClose || int(b[1]) != len(b)-2 || len(b)-2 > wsMaxControl {
			t.Fatalf("close frame header % x for %d bytes", b[:2], len(b))
		}
		p := b[2:]
		if got := binary.BigEndian.Uint16(p); got != code {
			t.Fatalf("code %d, want %d", got, code)
		}
		if !strings.HasPrefix(reason, string(p[2:])) {
			t.Fatalf("reason %q is not a prefix of %q", p[2:], reason)
		}
		if utf8.ValidString(reason) && !utf8.Valid(p[2:]) {
			t.Fatalf("reason %q cut inside a rune", p[2:])
		}
		// Masked as a client would send it back, the frame parses as sent.
		back := clientFrame(true, wsClose, [4]byte{1, 2, 3, 4}, p)
		h, err := parseWSHeader(back, wsMaxControl)
		if err != nil {
			t.Fatal(err)
		}
		unmaskWS(back[h.size:], h.mask)
		got, err := parseWSClose(back[h.size:])
		switch {
		case !utf8.Valid(p[2:]) || !wsValidCloseCode(code):
			if err == nil {
				t.Fatalf("close %d %q accepted", code, p[2:])
			}
		case err != nil || got != code:
			t.Fatalf("close %d read back as %d, %v", code, got, err)
		}
	})
}

// FuzzAppendWSHeader holds the server's frame headers to the RFC's length
// encodings: the shortest form, read back to the length written.
func FuzzAppendWSHeader(f *testing.F) {
	for _, n := range []int{0, 125, 126, 65535, 65536, 1 << 30} {
		f.Add(n)
	}
	f.Fuzz(func(t *testing.T, n int) {
		if n < 0 {
			n = -n
		}
		if n < 0 {
			return
		}
		b := appendWSHeader(nil, wsText, n)
		var got uint64
		switch l := b[1]; {
		case l < 126:
			got = uint64(l)
			if len(b) != 2 {
				t.Fatalf("header % x", b)
			}
		case l == 126:
			got = uint64(binary.BigEndian.Uint16(b[2:]))
			if len(b) != 4 || got < 126 {
				t.Fatalf("header % x not the shortest for %d", b, n)
			}
		default:
			got = binary.BigEndian.Uint64(b[2:])
			if len(b) != 10 || got <= 0xffff {
				t.Fatalf("header % x not the shortest for %d", b, n)
			}
		}
		if b[0] != 0x80|wsText || got != uint64(n) {
			t.Fatalf("header % x for %d", b, n)
		}
	})
}
