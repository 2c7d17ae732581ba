package netlinkraw

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// attr is one decoded attribute, for comparisons.
type attr struct {
	Type uint16 // with flag bits
	Data []byte
}

func decodeAttrs(b []byte) ([]attr, error) {
	var out []attr
	d := NewAttrDecoder(b)
	for d.Next() {
		out = append(out, attr{d.RawType(), d.Bytes()})
	}
	return out, d.Err()
}

type msg struct {
	H Header
	P []byte
}

func decodeMessages(b []byte) ([]msg, error) {
	var out []msg
	var d MessageDecoder
	d.Reset(b)
	for d.Next() {
		out = append(out, msg{d.Header(), d.Payload()})
	}
	return out, d.Err()
}

func TestMessageDecoder(t *testing.T) {
	skipBigEndian(t)
	tests := []struct {
		name    string
		in      []byte
		want    []msg
		wantErr string
	}{
		{name: "empty"},
		{
			name: "zero-length payload",
			in: []byte{
				0x10, 0x00, 0x00, 0x00, 0x03, 0x00, 0x02, 0x00, // len 16, DONE, MULTI
				0x09, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, // seq 9, port 5
			},
			want: []msg{{Header{16, TypeDone, FlagMulti, 9, 5}, []byte{}}},
		},
		{
			name: "two messages, first unaligned and padded",
			in: []byte{
				0x13, 0x00, 0x00, 0x00, 0x20, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // len 19
				0xaa, 0xbb, 0xcc, 0x00, // 3 payload bytes, 1 pad
				0x14, 0x00, 0x00, 0x00, 0x21, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // len 20
				0x01, 0x02, 0x03, 0x04,
			},
			want: []msg{
				{Header{19, 0x20, 0, 1, 0}, []byte{0xaa, 0xbb, 0xcc}},
				{Header{20, 0x21, 0, 2, 0}, []byte{1, 2, 3, 4}},
			},
		},
		{
			name: "last message without its padding",
			in: []byte{
				0x11, 0x00, 0x00, 0x00, 0x20, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // len 17
				0xaa,
			},
			want: []msg{{Header{17, 0x20, 0, 1, 0}, []byte{0xaa}}},
		},
		{
			name:    "truncated header",
			in:      []byte{0x10, 0x00, 0x00, 0x00, 0x03, 0x00},
			wantErr: "netlinkraw: truncated: message at offset 0: netlink header needs 16 bytes, have 6",
		},
		{
			name: "length past the end",
			in: []byte{
				0x40, 0x00, 0x00, 0x00, 0x20, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // len 64
				0x01, 0x02, 0x03, 0x04,
			},
			wantErr: "netlinkraw: truncated: message at offset 0: length 64, only 20 bytes left",
		},
		{
			name:    "length shorter than the header",
			in:      []byte{0x08, 0x00, 0x00, 0x00, 0x20, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00},
			wantErr: "netlinkraw: message at offset 0: length 8 is shorter than the header",
		},
		{
			name: "good message then a truncated tail",
			in: []byte{
				0x10, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // DONE
				0xff, 0xff, // 2 stray bytes
			},
			want:    []msg{{Header{16, TypeDone, 0, 1, 0}, []byte{}}},
			wantErr: "netlinkraw: truncated: message at offset 16: netlink header needs 16 bytes, have 2",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeMessages(tt.in)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("unexpected messages (-want +got):\n%s", diff)
			}
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr) {
				t.Errorf("error %v, want %q", err, tt.wantErr)
			}
			if err != nil && tt.wantErr != "" && !errors.Is(err, ErrTruncated) && tt.name != "length shorter than the header" {
				t.Errorf("error %v does not wrap ErrTruncated", err)
			}
		})
	}
}

func TestAttrDecoder(t *testing.T) {
	skipBigEndian(t)
	tests := []struct {
		name    string
		in      []byte
		want    []attr
		wantErr string
	}{
		{name: "empty"},
		{
			name: "flag and padding attribute",
			in: []byte{
				0x04, 0x00, 0x05, 0x00, // flag type 5
				0x0c, 0x00, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, // type 0 pad with 8 bytes
				0x05, 0x00, 0x01, 0x00, 0x07, 0x00, 0x00, 0x00, // u8 7
			},
			want: []attr{{5, []byte{}}, {0, make([]byte, 8)}, {1, []byte{7}}},
		},
		{
			name: "last attribute unaligned at the end",
			in:   []byte{0x05, 0x00, 0x01, 0x00, 0x07},
			want: []attr{{1, []byte{7}}},
		},
		{
			name:    "attribute length < 4",
			in:      []byte{0x03, 0x00, 0x01, 0x00},
			wantErr: "netlinkraw: attribute at offset 0: length 3 is shorter than its header",
		},
		{
			name:    "attribute length past the end",
			in:      []byte{0x08, 0x00, 0x01, 0x00, 0x01, 0x02},
			wantErr: "netlinkraw: truncated: attribute at offset 0: length 8, only 6 bytes left",
		},
		{
			name: "unaligned tail too short for a header",
			in: []byte{
				0x08, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00,
				0x01, 0x02, // stray bytes
			},
			want:    []attr{{1, []byte{1, 0, 0, 0}}},
			wantErr: "netlinkraw: truncated: 2 trailing bytes at offset 8 are too short for an attribute header",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeAttrs(tt.in)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("unexpected attributes (-want +got):\n%s", diff)
			}
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr) {
				t.Errorf("error %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestAttrDecoderNested(t *testing.T) {
	skipBigEndian(t)
	for _, tt := range []struct {
		name string
		typ  byte // high byte of the outer type
	}{
		{"with NLA_F_NESTED", 0x80},
		{"without NLA_F_NESTED", 0x00},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in := []byte{
				0x14, 0x00, 0x07, tt.typ, // nested, type 7
				0x08, 0x00, 0x01, 0x00, 0x2a, 0x00, 0x00, 0x00, // u32 42
				0x06, 0x00, 0x02, 0x00, 0x12, 0x34, 0x00, 0x00, // u16be 0x1234
			}
			d := NewAttrDecoder(in)
			if !d.Next() || d.Type() != 7 {
				t.Fatalf("no outer attribute 7: %v", d.Err())
			}
			if got, want := d.RawType()&AttrNested != 0, tt.typ != 0; got != want {
				t.Errorf("RawType nested bit %v, want %v", got, want)
			}
			nd := d.Nested()
			var (
				u32 uint32
				u16 uint16
			)
			for nd.Next() {
				switch nd.Type() {
				case 1:
					u32 = nd.Uint32()
				case 2:
					u16 = nd.Uint16BE()
				}
			}
			if nd.Err() != nil || u32 != 42 || u16 != 0x1234 {
				t.Errorf("nested: u32 %d u16 %#x err %v; want 42 0x1234 nil", u32, u16, nd.Err())
			}
			if d.Next() {
				t.Error("an attribute after the nested one")
			}
		})
	}
}

func TestAttrDecoderGetters(t *testing.T) {
	skipBigEndian(t)
	in := []byte{
		0x05, 0x00, 0x01, 0x00, 0xfe, 0x00, 0x00, 0x00, // u8
		0x06, 0x00, 0x02, 0x00, 0x02, 0x01, 0x00, 0x00, // u16 0x0102
		0x08, 0x00, 0x03, 0x00, 0x04, 0x03, 0x02, 0x01, // u32
		0x0c, 0x00, 0x04, 0x00, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, // u64
		0x0c, 0x00, 0x05, 0x00, 'e', 't', 'h', '0', 0x00, 'x', 'y', 'z', // string with junk after NUL
		0x07, 0x00, 0x06, 0x00, 'a', 'b', 'c', 0x00, // string without NUL
		0x04, 0x00, 0x07, 0x00, // flag
	}
	d := NewAttrDecoder(in)
	type vals struct {
		U8         uint8
		U16        uint16
		U32        uint32
		U64        uint64
		S1, S2     string
		Flag       bool
		StringByte string
	}
	var got vals
	for d.Next() {
		switch d.Type() {
		case 1:
			got.U8 = d.Uint8()
		case 2:
			got.U16 = d.Uint16()
		case 3:
			got.U32 = d.Uint32()
		case 4:
			got.U64 = d.Uint64()
		case 5:
			got.S1 = d.String()
			got.StringByte = string(d.StringBytes())
		case 6:
			got.S2 = d.String()
		case 7:
			got.Flag = d.Flag()
		}
	}
	if err := d.Err(); err != nil {
		t.Fatal(err)
	}
	want := vals{0xfe, 0x0102, 0x01020304, 0x0102030405060708, "eth0", "abc", true, "eth0"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("unexpected values (-want +got):\n%s", diff)
	}
}

func TestAttrDecoderWrongLength(t *testing.T) {
	skipBigEndian(t)
	in := []byte{
		0x06, 0x00, 0x03, 0x00, 0x01, 0x02, 0x00, 0x00, // 2 bytes read as u32
		0x08, 0x00, 0x04, 0x00, 0x01, 0x00, 0x00, 0x00,
	}
	d := NewAttrDecoder(in)
	d.Next()
	if v := d.Uint32(); v != 0 {
		t.Errorf("Uint32 of a 2-byte payload = %d, want 0", v)
	}
	want := "netlinkraw: attribute 3: payload must be 4 bytes, got 2"
	if err := d.Err(); err == nil || err.Error() != want {
		t.Fatalf("error %v, want %q", err, want)
	}
	// Sticky: iteration stops and getters return zero values.
	if d.Next() {
		t.Error("Next continued after an error")
	}
	if d.String() != "" || d.StringBytes() != nil || d.Uint8() != 0 {
		t.Error("getters return values after an error")
	}
	if nd := d.Nested(); nd.Next() || nd.Err() == nil {
		t.Error("Nested after an error iterates or has no error")
	}
	// Fail keeps the first error.
	d.Fail(errors.New("second"))
	if d.Err().Error() != want {
		t.Errorf("Fail replaced the first error: %v", d.Err())
	}
	// Flag with a payload is an error too.
	fd := NewAttrDecoder([]byte{0x05, 0x00, 0x01, 0x00, 0x01, 0, 0, 0})
	fd.Next()
	if fd.Flag() || fd.Err() == nil {
		t.Error("Flag of a 1-byte payload: no error")
	}
}

// Decoding allocates nothing.
func TestDecoderNoAlloc(t *testing.T) {
	wire := sampleDump(8)
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := walkDump(wire); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("decoding allocates %v times, want 0", allocs)
	}
}

// sampleDump builds n messages shaped like session-dump replies.
func sampleDump(n int) []byte {
	var e Encoder
	for i := range n {
		m := e.BeginMessage(0x1b, FlagMulti, 7, 1234)
		e.GenlHeader(4, 1)
		e.Uint32(9, uint32(i))
		e.Uint32(10, 8)
		e.Uint32(11, 9)
		e.Uint32(12, 10)
		e.Uint16(7, 3)
		e.Uint8(5, 1)
		e.String(8, "l2tpeth0")
		e.Bytes(15, []byte{1, 2, 3, 4, 5, 6, 7, 8})
		e.Flag(20)
		nd := e.BeginNested(21)
		for k := range 8 {
			e.Uint64(uint16(k+1), uint64(k)*1000)
		}
		e.EndNested(nd)
		e.EndMessage(m)
	}
	m := e.BeginMessage(TypeDone, FlagMulti, 7, 1234)
	e.Raw([]byte{0, 0, 0, 0})
	e.EndMessage(m)
	b, _ := e.Encoded()
	return b
}

// walkDump decodes every message and attribute of a sampleDump, the way a
// typed client would, and returns a checksum.
func walkDump(b []byte) (uint64, error) {
	var (
		sum uint64
		md  MessageDecoder
	)
	md.Reset(b)
	for md.Next() {
		if md.Header().Type == TypeDone {
			continue
		}
		_, attrs, err := ParseGenlHeader(md.Payload())
		if err != nil {
			return 0, err
		}
		d := NewAttrDecoder(attrs)
		for d.Next() {
			switch d.Type() {
			case 9, 10, 11, 12:
				sum += uint64(d.Uint32())
			case 7:
				sum += uint64(d.Uint16())
			case 5:
				sum += uint64(d.Uint8())
			case 8:
				sum += uint64(len(d.StringBytes()))
			case 15:
				sum += uint64(len(d.Bytes()))
			case 20:
				if d.Flag() {
					sum++
				}
			case 21:
				nd := d.Nested()
				for nd.Next() {
					sum += nd.Uint64()
				}
				d.Fail(nd.Err())
			}
		}
		if err := d.Err(); err != nil {
			return 0, err
		}
	}
	return sum, md.Err()
}
