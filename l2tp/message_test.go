package l2tp

import (
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/nl2tp/nl2tp/netlinkraw"
)

// attrsOf strips the generic netlink header from a reply payload.
func attrsOf(t *testing.T, payload []byte) []byte {
	t.Helper()
	_, attrs, err := netlinkraw.ParseGenlHeader(payload)
	if err != nil {
		t.Fatal(err)
	}
	return attrs
}

func littleEndian() bool {
	b := aU16(0, 1).Data
	return b[0] == 1
}

func TestDecodeTunnelAddresses(t *testing.T) {
	tests := []struct {
		name  string
		attrs []fakeAttr
		want  Tunnel
		err   string
	}{
		{
			name:  "IPv4",
			attrs: []fakeAttr{aBytes(attrIPSaddr, 10, 0, 0, 1), aBytes(attrIPDaddr, 10, 0, 0, 2)},
			want:  Tunnel{Local: netip.MustParseAddr("10.0.0.1"), Remote: netip.MustParseAddr("10.0.0.2")},
		},
		{
			name:  "IPv6",
			attrs: []fakeAttr{aBytes(attrIP6Saddr, netip.MustParseAddr("fe80::1").AsSlice()...), aBytes(attrIP6Daddr, netip.MustParseAddr("::2").AsSlice()...)},
			want:  Tunnel{Local: netip.MustParseAddr("fe80::1"), Remote: netip.MustParseAddr("::2")},
		},
		// The seed panicked on addresses neither 4 nor 16 bytes long.
		{name: "IPv4 of 3 bytes", attrs: []fakeAttr{aBytes(attrIPSaddr, 10, 0, 0)}, err: "L2TP_ATTR_IP_SADDR: payload must be 4 bytes, got 3 bytes"},
		{name: "IPv4 of 16 bytes", attrs: []fakeAttr{aBytes(attrIPDaddr, make([]byte, 16)...)}, err: "L2TP_ATTR_IP_DADDR: payload must be 4 bytes, got 16 bytes"},
		{name: "IPv4 of 0 bytes", attrs: []fakeAttr{aBytes(attrIPDaddr)}, err: "L2TP_ATTR_IP_DADDR: payload must be 4 bytes, got 0 bytes"},
		{name: "IPv6 of 4 bytes", attrs: []fakeAttr{aBytes(attrIP6Saddr, 1, 2, 3, 4)}, err: "L2TP_ATTR_IP6_SADDR: payload must be 16 bytes, got 4 bytes"},
		{name: "IPv6 of 17 bytes", attrs: []fakeAttr{aBytes(attrIP6Daddr, make([]byte, 17)...)}, err: "L2TP_ATTR_IP6_DADDR: payload must be 16 bytes, got 17 bytes"},
		{name: "port of 4 bytes", attrs: []fakeAttr{aU32(attrUDPSport, 1)}, err: "payload must be 2 bytes, got 4"},
		{name: "conn ID of 2 bytes", attrs: []fakeAttr{aU16(attrConnID, 1)}, err: "payload must be 4 bytes, got 2"},
		{name: "flag with a payload", attrs: []fakeAttr{aU8(attrUDPZeroCsum6TX, 1)}, err: "payload must be 0 bytes, got 1"},
		{name: "stats child of 4 bytes", attrs: []fakeAttr{aNestedNoFlag(attrStats, aU32(attr(statsAttrTxBytes), 1))}, err: "stats: netlinkraw: attribute 2: payload must be 8 bytes, got 4"},
		{name: "truncated attribute", attrs: []fakeAttr{aRaw(uint16(attrConnID), 1)}, err: "payload must be 4 bytes, got 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got Tunnel
			err := decodeTunnel(appendAttrs(nil, tt.attrs), &got)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("got error %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("decodeTunnel: %v", err)
			}
			if diff := cmp.Diff(tt.want, got, cmpAddr); diff != "" {
				t.Errorf("unexpected tunnel (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeMalformed(t *testing.T) {
	for _, b := range [][]byte{
		{1, 2, 3},          // shorter than an attribute header
		{3, 0, 9, 0},       // length below the header
		{200, 0, 9, 0, 1},  // length past the end
		{8, 0, 0x1e, 0, 4}, // truncated stats
	} {
		var tn Tunnel
		if err := decodeTunnel(b, &tn); err == nil {
			t.Errorf("decodeTunnel(% x): no error", b)
		}
		var s Session
		if err := decodeSession(b, &s); err == nil {
			t.Errorf("decodeSession(% x): no error", b)
		}
	}
}

// TestDecodeSkips checks that PAD attributes (where the kernel aligns u64
// values, on architectures that need it), attributes the header does not
// know, and the unused ones older kernels sent are skipped.
func TestDecodeSkips(t *testing.T) {
	attrs := appendAttrs(nil, []fakeAttr{
		aU32(attrConnID, 5),
		aRaw(uint16(attrPad)),
		aU32(attrSessionID, 7),
		aRaw(200, 1, 2, 3, 4, 5),                 // unknown to us
		aU16(attrMTU, 1400), aU16(attrMRU, 1400), // sent by kernels up to 4.17
		aU16(attrOffset, 0), aRaw(uint16(attrPad)), // ditto, and more padding
		aRaw(uint16(attrNone)), // nothing
		aRaw(uint16(attrPeerCookie)|netlinkraw.AttrNetByteorder, 1, 2, 3, 4), // a flag bit on a known type
		aNestedNoFlag(attrStats,
			aRaw(uint16(statsAttrPad)),
			aStat(statsAttrTxPackets, 1),
			aRaw(uint16(statsAttrPad)),
			aStat(statsAttrRxInvalid, 2),
			aRaw(99, 1),
		),
	})
	var got Session
	if err := decodeSession(attrs, &got); err != nil {
		t.Fatalf("decodeSession: %v", err)
	}
	want := Session{TunnelID: 5, ID: 7, PeerCookie: []byte{1, 2, 3, 4},
		Stats: Stats{TxPackets: 1, RxInvalid: 2, Present: StatTxPackets | StatRxInvalid}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("unexpected session (-want +got):\n%s", diff)
	}
}

// TestDecodeOldStats: kernels before 5.10 send eight counters; the other
// two are absent, not zero.
func TestDecodeOldStats(t *testing.T) {
	attrs := appendAttrs(nil, []fakeAttr{aNestedNoFlag(attrStats,
		aStat(statsAttrTxPackets, 1), aStat(statsAttrTxBytes, 2), aStat(statsAttrTxErrors, 3),
		aStat(statsAttrRxPackets, 4), aStat(statsAttrRxBytes, 5), aStat(statsAttrRxSeqDiscards, 6),
		aStat(statsAttrRxOOSPackets, 7), aStat(statsAttrRxErrors, 8))})
	var got Tunnel
	if err := decodeTunnel(attrs, &got); err != nil {
		t.Fatalf("decodeTunnel: %v", err)
	}
	want := Stats{TxPackets: 1, TxBytes: 2, TxErrors: 3, RxPackets: 4, RxBytes: 5, RxSeqDiscards: 6, RxOOSPackets: 7, RxErrors: 8,
		Present: StatAll &^ (StatRxCookieDiscards | StatRxInvalid)}
	if diff := cmp.Diff(want, got.Stats); diff != "" {
		t.Errorf("unexpected stats (-want +got):\n%s", diff)
	}
	if got.Stats.Present.Has(StatRxInvalid) || !got.Stats.Present.Has(StatTxPackets|StatRxErrors) {
		t.Errorf("Present = %#x: wrong Has answers", got.Stats.Present)
	}
}

// TestDecodeSessionCopies checks that a decoded session does not alias the
// receive buffer, and that its cookies cannot grow into its name.
func TestDecodeSessionCopies(t *testing.T) {
	b := attrsOf(t, sessionReply(5, 7, "l2tpeth0"))
	var s Session
	if err := decodeSession(b, &s); err != nil {
		t.Fatal(err)
	}
	clear(b)
	want := wantSession(5, 7, "l2tpeth0")
	if diff := cmp.Diff(want, s); diff != "" {
		t.Fatalf("session changed with the buffer (-want +got):\n%s", diff)
	}
	s.Cookie = append(s.Cookie, 0xff, 0xff, 0xff, 0xff)
	s.PeerCookie = append(s.PeerCookie, 'X')
	if s.InterfaceName != "l2tpeth0" {
		t.Errorf("appending to the cookies changed the name to %q", s.InterfaceName)
	}
}

func TestDecodeAllocs(t *testing.T) {
	tests := []struct {
		name string
		b    []byte
		max  float64
	}{
		{"session with name and cookies", attrsOf(t, sessionReply(5, 7, "l2tpeth0")), 1},
		{"session without name or cookies", appendAttrs(nil, []fakeAttr{aU32(attrConnID, 5), aU32(attrSessionID, 7), statsAttrs(0)}), 0},
		{"tunnel", attrsOf(t, tunnel4Reply(5, 6)), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s Session
			var tn Tunnel
			allocs := testing.AllocsPerRun(100, func() {
				if tt.name == "tunnel" {
					decodeTunnel(tt.b, &tn)
				} else {
					decodeSession(tt.b, &s)
				}
			})
			if allocs > tt.max {
				t.Errorf("decoding allocates %v times, want at most %v", allocs, tt.max)
			}
		})
	}
}

// TestDecodeNoPanic feeds the decoders every truncation and many random
// mutations of real replies: they may fail, never panic, and a failure
// leaves an error.
func TestDecodeNoPanic(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, capture := range []string{captureTunnel4, captureTunnel6, captureSession} {
		full := decodeHex(t, capture)[netlinkraw.GenlHeaderLen:]
		inputs := [][]byte{}
		for n := range len(full) {
			inputs = append(inputs, full[:n])
		}
		for range 2000 {
			b := append([]byte{}, full...)
			for range 1 + rng.IntN(4) {
				b[rng.IntN(len(b))] = byte(rng.IntN(256))
			}
			inputs = append(inputs, b)
		}
		for _, b := range inputs {
			var tn Tunnel
			var s Session
			_ = decodeTunnel(b, &tn)
			_ = decodeSession(b, &s)
		}
	}
}
