package netlinkraw

import (
	"encoding/binary"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// skipBigEndian skips tests whose hex literals are in little-endian host
// byte order.
func skipBigEndian(t testing.TB) {
	t.Helper()
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		t.Skip("wire literals are little-endian")
	}
}

func TestEncoder(t *testing.T) {
	skipBigEndian(t)
	tests := []struct {
		name  string
		build func(e *Encoder)
		want  []byte
	}{
		{
			name: "empty message",
			build: func(e *Encoder) {
				m := e.BeginMessage(0x10, FlagRequest|FlagAck, 7, 0x1234)
				e.EndMessage(m)
			},
			want: []byte{
				0x10, 0x00, 0x00, 0x00, // length 16
				0x10, 0x00, // type 0x10
				0x05, 0x00, // flags REQUEST|ACK
				0x07, 0x00, 0x00, 0x00, // seq 7
				0x34, 0x12, 0x00, 0x00, // port 0x1234
			},
		},
		{
			name: "genl getfamily nlctrl",
			build: func(e *Encoder) {
				m := e.BeginMessage(GenlIDCtrl, FlagRequest, 1, 0)
				e.GenlHeader(ctrlCmdGetFamily, 2)
				e.String(ctrlAttrFamilyName, "nlctrl")
				e.EndMessage(m)
			},
			want: []byte{
				0x20, 0x00, 0x00, 0x00, 0x10, 0x00, 0x01, 0x00, // len 32, type 0x10, flags REQUEST
				0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // seq 1, port 0
				0x03, 0x02, 0x00, 0x00, // cmd 3, version 2, reserved
				0x0b, 0x00, 0x02, 0x00, // nla len 11, type 2
				'n', 'l', 'c', 't', 'r', 'l', 0x00, 0x00, // "nlctrl\0" + 1 pad
			},
		},
		{
			name: "integers",
			build: func(e *Encoder) {
				e.Uint8(1, 0xab)
				e.Uint16(2, 0x1234)
				e.Uint16BE(3, 0x1234)
				e.Uint32(4, 0xdeadbeef)
				e.Uint64(5, 0x0102030405060708)
			},
			want: []byte{
				0x05, 0x00, 0x01, 0x00, 0xab, 0x00, 0x00, 0x00, // u8, 3 pad
				0x06, 0x00, 0x02, 0x00, 0x34, 0x12, 0x00, 0x00, // u16 host order, 2 pad
				0x06, 0x00, 0x03, 0x00, 0x12, 0x34, 0x00, 0x00, // u16 network order, 2 pad
				0x08, 0x00, 0x04, 0x00, 0xef, 0xbe, 0xad, 0xde, // u32
				0x0c, 0x00, 0x05, 0x00, // u64 header
				0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, // u64
			},
		},
		{
			name: "bytes, flag, empty string",
			build: func(e *Encoder) {
				e.Bytes(1, []byte{0xaa, 0xbb, 0xcc, 0xdd, 0xee})
				e.Flag(2)
				e.String(3, "")
				e.Bytes(4, nil)
			},
			want: []byte{
				0x09, 0x00, 0x01, 0x00, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0x00, 0x00, 0x00, // 5 bytes, 3 pad
				0x04, 0x00, 0x02, 0x00, // flag: header only
				0x05, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, // "" is one NUL, 3 pad
				0x04, 0x00, 0x04, 0x00, // empty bytes
			},
		},
		{
			name: "nested",
			build: func(e *Encoder) {
				n := e.BeginNested(7)
				e.Uint32(1, 1)
				inner := e.BeginNested(2)
				e.Uint8(1, 2)
				e.EndNested(inner)
				e.EndNested(n)
				e.Uint16(8, 3)
			},
			want: []byte{
				0x18, 0x00, 0x07, 0x80, // len 24, type 7|NLA_F_NESTED
				0x08, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, // u32 1
				0x0c, 0x00, 0x02, 0x80, // len 12, type 2|NLA_F_NESTED
				0x05, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, // u8 2
				0x06, 0x00, 0x08, 0x00, 0x03, 0x00, 0x00, 0x00, // u16 3
			},
		},
		{
			name: "raw family header padded",
			build: func(e *Encoder) {
				m := e.BeginMessage(18, 0, 0, 0)
				e.Raw([]byte{1, 2, 3, 4, 5, 6})
				e.EndMessage(m)
			},
			want: []byte{
				0x18, 0x00, 0x00, 0x00, 0x12, 0x00, 0x00, 0x00, // len 24, type 18
				0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // seq 0, port 0
				0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x00, 0x00, // 6 bytes, 2 pad
			},
		},
		{
			name: "two messages in one buffer",
			build: func(e *Encoder) {
				for i := range 2 {
					m := e.BeginMessage(0x10, FlagRequest, uint32(i+1), 0)
					e.GenlHeader(1, 1)
					e.EndMessage(m)
				}
			},
			want: []byte{
				0x14, 0x00, 0x00, 0x00, 0x10, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // len 20, seq 1
				0x01, 0x01, 0x00, 0x00, // genl cmd 1 version 1
				0x14, 0x00, 0x00, 0x00, 0x10, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // len 20, seq 2
				0x01, 0x01, 0x00, 0x00,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Dirty reused buffer: the encoder must zero its padding.
			buf := []byte(strings.Repeat("\xff", 256))
			var e Encoder
			e.Reset(buf)
			tt.build(&e)
			got, err := e.Encoded()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("unexpected encoding (-want +got):\n%s", diff)
			}
			if e.Len() != len(tt.want) {
				t.Errorf("Len() = %d, want %d", e.Len(), len(tt.want))
			}
		})
	}
}

func TestEncoderErrors(t *testing.T) {
	tests := []struct {
		name  string
		build func(e *Encoder)
		want  string
	}{
		{
			name:  "attribute too long",
			build: func(e *Encoder) { e.Bytes(9, make([]byte, 65532)) },
			want:  "netlinkraw: attribute 9: payload of 65532 bytes exceeds the 16-bit length field",
		},
		{
			name: "nested too long",
			build: func(e *Encoder) {
				n := e.BeginNested(3)
				e.Bytes(1, make([]byte, 40000))
				e.Bytes(1, make([]byte, 40000))
				e.EndNested(n)
			},
			want: "netlinkraw: nested attribute 3: 80012 bytes exceed the 16-bit length field",
		},
		{
			name:  "EndMessage without Begin",
			build: func(e *Encoder) { e.EndMessage(4) },
			want:  "netlinkraw: EndMessage(4) without a matching BeginMessage",
		},
		{
			name:  "EndNested without Begin",
			build: func(e *Encoder) { e.EndNested(-1) },
			want:  "netlinkraw: EndNested(-1) without a matching BeginNested",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var e Encoder
			tt.build(&e)
			err := e.Err()
			if err == nil || err.Error() != tt.want {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
			// Sticky: later calls do nothing.
			n := e.Len()
			e.Uint32(1, 1)
			if e.Len() != n || e.Err() != err {
				t.Errorf("encoder changed after an error")
			}
			e.Reset(nil)
			if e.Err() != nil {
				t.Errorf("Reset kept the error")
			}
		})
	}
}

func TestAppendGetFamily(t *testing.T) {
	skipBigEndian(t)
	b := AppendGetFamily([]byte{0xee}, "l2tp")
	want := []byte{
		0xee,                                           // existing content is kept
		0x20, 0x00, 0x00, 0x00, 0x10, 0x00, 0x01, 0x00, // len 32, type nlctrl, REQUEST
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // seq and port for the Conn to fill
		0x03, 0x02, 0x00, 0x00, // CTRL_CMD_GETFAMILY, version 2
		0x09, 0x00, 0x02, 0x00, 'l', '2', 't', 'p', 0x00, 0x00, 0x00, 0x00, // name "l2tp\0" + 3 pad
	}
	if diff := cmp.Diff(want, b); diff != "" {
		t.Errorf("unexpected encoding (-want +got):\n%s", diff)
	}
	long := strings.Repeat("x", 70000)
	if got := AppendGetFamily([]byte{1}, long); len(got) != 1 {
		t.Errorf("a name too long for an attribute appended %d bytes", len(got)-1)
	}
}

// Building a message into a reused buffer allocates nothing.
func TestEncoderNoAlloc(t *testing.T) {
	buf := make([]byte, 0, 1024)
	var e Encoder
	allocs := testing.AllocsPerRun(100, func() {
		e.Reset(buf)
		encodeSample(&e)
	})
	if allocs != 0 {
		t.Errorf("encoding allocates %v times, want 0", allocs)
	}
}

// encodeSample builds a message shaped like an L2TP session create.
func encodeSample(e *Encoder) {
	m := e.BeginMessage(0x1b, FlagRequest|FlagAck, 42, 0)
	e.GenlHeader(4, 1)
	e.Uint32(9, 7)
	e.Uint32(10, 8)
	e.Uint32(11, 9)
	e.Uint32(12, 10)
	e.Uint16(7, 3)
	e.Uint8(5, 1)
	e.String(8, "l2tpeth0")
	e.Bytes(15, []byte{1, 2, 3, 4, 5, 6, 7, 8})
	e.Flag(20)
	e.Uint64(16, 1<<40)
	n := e.BeginNested(21)
	e.Uint64(1, 100)
	e.Uint64(2, 200)
	e.EndNested(n)
	e.EndMessage(m)
}
