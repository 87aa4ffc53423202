package wire_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/bigpipe-go/bigpipe/internal/wire"
)

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

// TestChunkedTimestamps streams two flushed parts with a gate between them:
// the first marker must be timestamped before the second part was sent.
func TestChunkedTimestamps(t *testing.T) {
	gate := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Link", "</a.css>; rel=preload; as=style")
		w.WriteHeader(http.StatusEarlyHints)
		io.WriteString(w, "FIRST")
		http.NewResponseController(w).Flush()
		<-gate
		io.WriteString(w, strings.Repeat("x", 70000)+"SECOND")
	}))
	defer srv.Close()
	s, err := wire.Open(ctx(t), srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if len(s.Informational) != 1 || s.Informational[0].Status != 103 || s.Informational[0].Header.Get("Link") == "" {
		t.Errorf("informational responses = %+v, want one 103 with a Link", s.Informational)
	}
	if s.AnyByte == 0 || s.FirstByte < s.AnyByte {
		t.Errorf("AnyByte %v, FirstByte %v: the 103 comes first", s.AnyByte, s.FirstByte)
	}
	first, err := s.Until("FIRST")
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(30 * time.Millisecond)
	close(gate)
	second, err := s.Until("SECOND")
	if err != nil {
		t.Fatal(err)
	}
	if second-first < 30*time.Millisecond {
		t.Errorf("FIRST at %v, SECOND at %v: want SECOND at least 30ms later", first, second)
	}
	if err := s.ReadAll(); err != nil {
		t.Fatal(err)
	}
	if want := "FIRST" + strings.Repeat("x", 70000) + "SECOND"; string(s.Body()) != want {
		t.Errorf("body of %d bytes, want %d", len(s.Body()), len(want))
	}
	if s.Status != 200 || !s.Done() {
		t.Errorf("status %d, done %v", s.Status, s.Done())
	}
}

func TestFraming(t *testing.T) {
	tests := []struct {
		name, response, wantBody string
		wantErr                  bool
	}{
		{"content-length", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", "hello", false},
		{"close-delimited (HTTP/1.0)", "HTTP/1.0 200 OK\r\n\r\nhello world", "hello world", false},
		{"chunked with extension and trailer", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n1\r\n!\r\n0\r\nT: 1\r\n\r\n", "hello!", false},
		{"truncated chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", "hel", true},
		{"missing last chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n", "hello", true},
		{"short content-length body", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello", "hello", true},
		{"no body", "HTTP/1.1 204 No Content\r\n\r\n", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := rawServer(t, tc.response)
			if err != nil {
				t.Fatal(err)
			}
			err = s.ReadAll()
			if (err != nil) != tc.wantErr {
				t.Errorf("ReadAll error = %v, want error %v", err, tc.wantErr)
			}
			if string(s.Body()) != tc.wantBody {
				t.Errorf("body %q, want %q", s.Body(), tc.wantBody)
			}
		})
	}
}

func TestBadResponses(t *testing.T) {
	for _, resp := range []string{"", "garbage\r\n\r\n", "HTTP/1.1 abc OK\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n"} {
		if _, err := rawServer(t, resp); err == nil {
			t.Errorf("%q: no error", resp)
		}
	}
}

// rawServer answers one connection with response, then closes it.
func rawServer(t *testing.T, response string) (*wire.Stream, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		buf := make([]byte, 4096)
		var req []byte
		for !bytes.Contains(req, []byte("\r\n\r\n")) {
			n, err := c.Read(buf)
			if err != nil {
				return
			}
			req = append(req, buf[:n]...)
		}
		io.WriteString(c, response)
	}()
	s, err := wire.Open(ctx(t), "http://"+ln.Addr().String()+"/", nil)
	if s != nil {
		t.Cleanup(func() { s.Close() })
	}
	return s, err
}

// FuzzResponse feeds arbitrary bytes as a server's response: the client
// must never panic or hang, and a body it reports complete must be a prefix
// of what the server could have sent.
func FuzzResponse(f *testing.F) {
	f.Add([]byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"))
	f.Add([]byte("HTTP/1.1 103 Early Hints\r\nLink: x\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"))
	f.Add([]byte("HTTP/1.0 200 OK\r\n\r\nbody"))
	f.Fuzz(func(t *testing.T, response []byte) {
		s, err := rawServer(t, string(response))
		if err != nil {
			return
		}
		if err := s.ReadAll(); err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
			return
		}
		if len(s.Body()) > len(response) {
			t.Fatalf("decoded %d body bytes from a %d-byte response", len(s.Body()), len(response))
		}
	})
}
