package netlinkraw

import (
	"errors"
	"fmt"
	"io/fs"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Replies captured from the generic netlink controller of a 6.18 kernel
// (port ID 0x39f2).
var (
	// ACK of a GETFAMILY: errno 0, capped (the echoed header only).
	wireAck = []byte{
		0x24, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x01, // len 36, NLMSG_ERROR, flags CAPPED
		0x01, 0x00, 0x00, 0x00, 0xf2, 0x39, 0x00, 0x00, // seq 1, port 0x39f2
		0x00, 0x00, 0x00, 0x00, // error 0
		0x20, 0x00, 0x00, 0x00, 0x10, 0x00, 0x05, 0x00, // echoed header: len 32, type 0x10, REQUEST|ACK
		0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // seq 1, port 0
	}
	// GETFAMILY of a missing family: -ENOENT, capped, no extended ACK.
	wireENOENT = []byte{
		0x24, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x01, // len 36, NLMSG_ERROR, flags CAPPED
		0x02, 0x00, 0x00, 0x00, 0xf2, 0x39, 0x00, 0x00, // seq 2
		0xfe, 0xff, 0xff, 0xff, // error -2
		0x20, 0x00, 0x00, 0x00, 0x10, 0x00, 0x05, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	}
	// CTRL_ATTR_FAMILY_ID sent as a u8: -ERANGE with an extended ACK
	// (message, offset, and the policy of the attribute).
	wireExtAck = []byte{
		0x78, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x03, // len 120, NLMSG_ERROR, flags CAPPED|ACK_TLVS
		0x03, 0x00, 0x00, 0x00, 0xf2, 0x39, 0x00, 0x00, // seq 3
		0xde, 0xff, 0xff, 0xff, // error -34
		0x1c, 0x00, 0x00, 0x00, 0x10, 0x00, 0x05, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // echoed header
		0x27, 0x00, 0x01, 0x00, // NLMSGERR_ATTR_MSG, len 39
		'A', 't', 't', 'r', 'i', 'b', 'u', 't', 'e', ' ', 'f', 'a', 'i', 'l', 'e', 'd', ' ',
		'p', 'o', 'l', 'i', 'c', 'y', ' ', 'v', 'a', 'l', 'i', 'd', 'a', 't', 'i', 'o', 'n', 0x00, 0x00,
		0x08, 0x00, 0x02, 0x00, 0x14, 0x00, 0x00, 0x00, // NLMSGERR_ATTR_OFFS 20
		0x24, 0x00, 0x04, 0x80, // NLMSGERR_ATTR_POLICY, nested
		0x0c, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x0c, 0x00, 0x05, 0x00, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x08, 0x00, 0x01, 0x00, 0x03, 0x00, 0x00, 0x00,
	}
	// The same without NETLINK_CAP_ACK and NETLINK_EXT_ACK: the whole
	// request is echoed, and no attributes follow.
	wireUncapped = []byte{
		0x30, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, // len 48, NLMSG_ERROR, no flags
		0x03, 0x00, 0x00, 0x00, 0xd8, 0x22, 0xd5, 0x85, // seq 3
		0xde, 0xff, 0xff, 0xff, // error -34
		0x1c, 0x00, 0x00, 0x00, 0x10, 0x00, 0x05, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // echoed header, len 28
		0x03, 0x02, 0x00, 0x00, 0x05, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, // echoed payload
	}
)

func TestParseError(t *testing.T) {
	skipBigEndian(t)
	type result struct {
		Errno   int32
		Message string
		Offset  uint32
	}
	tests := []struct {
		name    string
		wire    []byte
		want    result
		wantErr string
	}{
		{name: "ack", wire: wireAck},
		{name: "enoent", wire: wireENOENT, want: result{Errno: -2}},
		{name: "ext ack", wire: wireExtAck, want: result{-34, "Attribute failed policy validation", 20}},
		{name: "uncapped", wire: wireUncapped, want: result{Errno: -34}},
		{
			name: "uncapped with TLVs",
			wire: func() []byte {
				// wireUncapped with ACK_TLVS and a message after the echoed request.
				b := append([]byte(nil), wireUncapped...)
				b[7] = 0x02
				b = append(b, 0x08, 0x00, 0x01, 0x00, 'b', 'a', 'd', 0x00)
				b[0] = byte(len(b))
				return b
			}(),
			want: result{Errno: -34, Message: "bad"},
		},
		{
			name:    "too short",
			wire:    wireAck[:18],
			wantErr: "netlinkraw: truncated: error message needs 4 bytes for its errno, have 2",
		},
		{
			name: "capped TLVs but no echoed header",
			wire: func() []byte {
				b := append([]byte(nil), wireExtAck[:24]...)
				b[0] = 24
				return b
			}(),
			want:    result{Errno: -34},
			wantErr: "netlinkraw: truncated: error message needs 20 bytes for the echoed header, have 8",
		},
		{
			name: "echoed length too long",
			wire: func() []byte {
				b := append([]byte(nil), wireUncapped...)
				b[7] = 0x02
				b[20] = 0xff
				return b
			}(),
			want:    result{Errno: -34},
			wantErr: "netlinkraw: error message: echoed request length 255 does not fit in 28 bytes",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := ParseHeader(tt.wire)
			if err != nil {
				t.Fatal(err)
			}
			a, err := parseError(h.Flags, tt.wire[HeaderLen:])
			got := result{a.errno, string(a.message), a.offset}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("unexpected result (-want +got):\n%s", diff)
			}
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr) {
				t.Errorf("error %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestParseDone(t *testing.T) {
	skipBigEndian(t)
	for _, tt := range []struct {
		name    string
		flags   uint16
		payload []byte
		errno   int32
		message string
	}{
		{name: "empty payload", payload: nil},
		{name: "ok", payload: []byte{0, 0, 0, 0}},
		{name: "error", payload: []byte{0xf0, 0xff, 0xff, 0xff}, errno: -16},
		{
			name:    "error with ext ack",
			flags:   FlagMulti | FlagAckTLVs,
			payload: []byte{0xea, 0xff, 0xff, 0xff, 0x09, 0x00, 0x01, 0x00, 'o', 'o', 'p', 's', 0x00, 0x00, 0x00, 0x00},
			errno:   -22,
			message: "oops",
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a, err := parseDone(tt.flags, tt.payload)
			if err != nil || a.errno != tt.errno || string(a.message) != tt.message {
				t.Errorf("parseDone = %d %q %v, want %d %q nil", a.errno, a.message, err, tt.errno, tt.message)
			}
		})
	}
}

func TestError(t *testing.T) {
	err := error(&Error{Op: "request", Err: syscall.EEXIST, Message: "tunnel exists", Offset: 24, Seq: 9})
	if want := "netlinkraw: request: file exists: tunnel exists (offset 24)"; err.Error() != want {
		t.Errorf("Error() = %q, want %q", err.Error(), want)
	}
	wrapped := fmt.Errorf("l2tp: create tunnel 1: %w", err)
	for _, target := range []error{syscall.EEXIST, fs.ErrExist} {
		if !errors.Is(wrapped, target) {
			t.Errorf("errors.Is(%v, %v) = false", wrapped, target)
		}
	}
	if errors.Is(wrapped, fs.ErrNotExist) {
		t.Error("EEXIST matches fs.ErrNotExist")
	}
	if got := (&Error{Op: "dump", Err: syscall.ENOENT}).Error(); got != "netlinkraw: dump: no such file or directory" {
		t.Errorf("Error() = %q", got)
	}
	if got := (&Error{Op: "dump"}).Error(); got != "netlinkraw: dump: unknown error" {
		t.Errorf("Error() with no errno = %q", got)
	}
	// ackInfo.err builds it from the kernel's negative errno.
	e := ackInfo{errno: -17, message: []byte("m"), offset: 4}.err("batch", 3)
	want := Error{Op: "batch", Err: syscall.EEXIST, Message: "m", Offset: 4, Seq: 3}
	if got, ok := e.(*Error); !ok || *got != want {
		t.Errorf("ackInfo.err = %#v, want %#v", e, want)
	}
	if e := (ackInfo{}).err("x", 1); e != nil {
		t.Errorf("errno 0 gave error %v", e)
	}
}
