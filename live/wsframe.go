package live

import (
	"encoding/binary"
	"errors"
	"unicode/utf8"
)

// The WebSocket frames of RFC 6455, section 5: what the engine's own
// WebSocket transport (ws.go) reads from clients and writes to them.

// WebSocket opcodes (RFC 6455, section 5.2).
const (
	wsContinuation = 0x0
	wsText         = 0x1
	wsBinary       = 0x2
	wsClose        = 0x8
	wsPing         = 0x9
	wsPong         = 0xA
)

// WebSocket close codes (RFC 6455, section 7.4.1) the transport sends for
// what a client did wrong.
const (
	wsCloseNormal      = 1000
	wsCloseProtocol    = 1002
	wsCloseInvalidData = 1007
	wsCloseTooBig      = 1009
)

// wsMaxControl is the largest payload of a control frame (close, ping,
// pong).
const wsMaxControl = 125

// errWSShort says a frame's header is not all read yet.
var errWSShort = errors.New("live: websocket frame header incomplete")

// wsError is a client's breach of the protocol: the connection is closed
// with Code, and Reason as the close frame's reason.
type wsError struct {
	Code   uint16
	Reason string
}

func (e *wsError) Error() string { return "live: websocket: " + e.Reason }

// wsHeader is the header of a frame a client sent.
type wsHeader struct {
	fin    bool
	op     byte
	mask   [4]byte
	length int // of the payload
	size   int // of the header
}

// parseWSHeader reads the header of the client frame b starts with. It
// returns errWSShort while b holds less than the header, and a *wsError
// for a frame no client may send: reserved bits set (no extension is
// negotiated), no mask, an unknown opcode, a fragmented or oversized
// control frame, or a payload over maxPayload.
func parseWSHeader(b []byte, maxPayload int) (wsHeader, error) {
	if len(b) < 2 {
		return wsHeader{}, errWSShort
	}
	h := wsHeader{fin: b[0]&0x80 != 0, op: b[0] & 0x0f, size: 2}
	switch {
	case b[0]&0x70 != 0:
		return h, &wsError{wsCloseProtocol, "reserved bits set"}
	case b[1]&0x80 == 0:
		return h, &wsError{wsCloseProtocol, "client frame not masked"}
	}
	switch h.op {
	case wsContinuation, wsText, wsBinary:
	case wsClose, wsPing, wsPong:
		if !h.fin {
			return h, &wsError{wsCloseProtocol, "fragmented control frame"}
		}
	default:
		return h, &wsError{wsCloseProtocol, "unknown opcode"}
	}
	var n uint64
	switch l := b[1] & 0x7f; l {
	case 126:
		if len(b) < 4 {
			return h, errWSShort
		}
		n, h.size = uint64(binary.BigEndian.Uint16(b[2:])), 4
	case 127:
		if len(b) < 10 {
			return h, errWSShort
		}
		n, h.size = binary.BigEndian.Uint64(b[2:]), 10
		if n>>63 != 0 {
			return h, &wsError{wsCloseProtocol, "payload length out of range"}
		}
	default:
		n = uint64(l)
	}
	switch {
	case h.op >= wsClose && n > wsMaxControl:
		return h, &wsError{wsCloseProtocol, "control frame over 125 bytes"}
	case n > uint64(maxPayload):
		return h, &wsError{wsCloseTooBig, "message over the size limit"}
	}
	if len(b) < h.size+4 {
		return h, errWSShort
	}
	h.mask = [4]byte(b[h.size : h.size+4])
	h.size += 4
	h.length = int(n)
	return h, nil
}

// unmaskWS unmasks a client frame's payload in place.
func unmaskWS(p []byte, mask [4]byte) {
	for i := range p {
		p[i] ^= mask[i&3]
	}
}

// appendWSFrame appends a final, unmasked frame of opcode op carrying
// payload, as a server sends it.
func appendWSFrame(b []byte, op byte, payload []byte) []byte {
	b = appendWSHeader(b, op, len(payload))
	return append(b, payload...)
}

// appendWSHeader appends the header of a final, unmasked frame of opcode op
// whose payload is n bytes long.
func appendWSHeader(b []byte, op byte, n int) []byte {
	b = append(b, 0x80|op)
	switch {
	case n < 126:
		return append(b, byte(n))
	case n <= 0xffff:
		b = append(b, 126)
		return binary.BigEndian.AppendUint16(b, uint16(n))
	default:
		b = append(b, 127)
		return binary.BigEndian.AppendUint64(b, uint64(n))
	}
}

// appendWSClose appends a close frame with code and reason, the reason cut
// to fit a control frame (at a rune's start, so that it stays UTF-8).
func appendWSClose(b []byte, code uint16, reason string) []byte {
	if len(reason) > wsMaxControl-2 {
		cut := wsMaxControl - 2
		for cut > 0 && !utf8.RuneStart(reason[cut]) {
			cut--
		}
		reason = reason[:cut]
	}
	b = appendWSHeader(b, wsClose, 2+len(reason))
	b = binary.BigEndian.AppendUint16(b, code)
	return append(b, reason...)
}

// parseWSClose reads a client's close frame payload: its code (0 for none)
// or a *wsError for a payload no client may send.
func parseWSClose(p []byte) (code uint16, err error) {
	switch {
	case len(p) == 0:
		return 0, nil
	case len(p) == 1:
		return 0, &wsError{wsCloseProtocol, "close frame of one byte"}
	case !utf8.Valid(p[2:]):
		return 0, &wsError{wsCloseInvalidData, "close reason not UTF-8"}
	}
	code = binary.BigEndian.Uint16(p)
	if !wsValidCloseCode(code) {
		return 0, &wsError{wsCloseProtocol, "invalid close code"}
	}
	return code, nil
}

// wsValidCloseCode reports whether a peer may send code in a close frame
// (RFC 6455, section 7.4).
func wsValidCloseCode(code uint16) bool {
	switch {
	case code >= 1000 && code <= 1003, code >= 1007 && code <= 1014:
		return true
	default:
		return code >= 3000 && code <= 4999
	}
}
