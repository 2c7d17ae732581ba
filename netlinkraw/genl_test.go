package netlinkraw

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// wireNlctrl is the controller's reply to GETFAMILY "nlctrl", captured from
// a 6.18 kernel.
var wireNlctrl = []byte{
	0x88, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, // len 136, type nlctrl
	0x01, 0x00, 0x00, 0x00, 0xf2, 0x39, 0x00, 0x00, // seq 1, port 0x39f2
	0x01, 0x02, 0x00, 0x00, // CTRL_CMD_NEWFAMILY, version 2
	0x0b, 0x00, 0x02, 0x00, 'n', 'l', 'c', 't', 'r', 'l', 0x00, 0x00, // FAMILY_NAME
	0x06, 0x00, 0x01, 0x00, 0x10, 0x00, 0x00, 0x00, // FAMILY_ID 0x10
	0x08, 0x00, 0x03, 0x00, 0x02, 0x00, 0x00, 0x00, // VERSION 2
	0x08, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, // HDRSIZE 0
	0x08, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, // MAXATTR 0
	0x2c, 0x00, 0x06, 0x00, // OPS (nested, without NLA_F_NESTED)
	0x14, 0x00, 0x01, 0x00, 0x08, 0x00, 0x01, 0x00, 0x03, 0x00, 0x00, 0x00, 0x08, 0x00, 0x02, 0x00, 0x0e, 0x00, 0x00, 0x00,
	0x14, 0x00, 0x02, 0x00, 0x08, 0x00, 0x01, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x08, 0x00, 0x02, 0x00, 0x0c, 0x00, 0x00, 0x00,
	0x1c, 0x00, 0x07, 0x00, // MCAST_GROUPS (nested, without NLA_F_NESTED)
	0x18, 0x00, 0x01, 0x00, // group 1
	0x08, 0x00, 0x02, 0x00, 0x10, 0x00, 0x00, 0x00, // MCAST_GRP_ID 0x10
	0x0b, 0x00, 0x01, 0x00, 'n', 'o', 't', 'i', 'f', 'y', 0x00, 0x00, // MCAST_GRP_NAME
}

func TestParseFamily(t *testing.T) {
	skipBigEndian(t)
	f, err := ParseFamily(wireNlctrl[HeaderLen:])
	if err != nil {
		t.Fatal(err)
	}
	want := Family{ID: 0x10, Name: "nlctrl", Version: 2, Groups: []MulticastGroup{{Name: "notify", ID: 0x10}}}
	if diff := cmp.Diff(want, f); diff != "" {
		t.Errorf("unexpected family (-want +got):\n%s", diff)
	}
}

func TestParseFamilyErrors(t *testing.T) {
	skipBigEndian(t)
	mk := func(cmd uint8, build func(e *Encoder)) []byte {
		var e Encoder
		e.GenlHeader(cmd, 2)
		build(&e)
		b, _ := e.Encoded()
		return b
	}
	tests := []struct {
		name    string
		payload []byte
		want    string
	}{
		{name: "short", payload: []byte{1, 2}, want: "netlinkraw: truncated: generic netlink header needs 4 bytes, have 2"},
		{name: "wrong command", payload: mk(3, func(*Encoder) {}), want: "netlinkraw: family reply: command must be CTRL_CMD_NEWFAMILY (1), got 3"},
		{name: "no id", payload: mk(1, func(e *Encoder) { e.String(2, "x") }), want: "netlinkraw: family reply: CTRL_ATTR_FAMILY_ID missing"},
		{
			name:    "id of the wrong size",
			payload: mk(1, func(e *Encoder) { e.Uint32(1, 5) }),
			want:    "netlinkraw: attribute 1: payload must be 2 bytes, got 4",
		},
		{
			name:    "version too big",
			payload: mk(1, func(e *Encoder) { e.Uint16(1, 5); e.Uint32(3, 300) }),
			want:    "netlinkraw: family reply: version must fit in 8 bits, got 300",
		},
		{
			name: "bad group id",
			payload: mk(1, func(e *Encoder) {
				e.Uint16(1, 5)
				g := e.BeginNested(7)
				g1 := e.BeginNested(1)
				e.Uint16(2, 1)
				e.EndNested(g1)
				e.EndNested(g)
			}),
			want: "netlinkraw: attribute 2: payload must be 4 bytes, got 2",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseFamily(tt.payload)
			if err == nil || err.Error() != tt.want {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}
